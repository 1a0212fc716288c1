/**
 * `derpdesk host` from the built CLI: loopback by default, remote binding only when asked for explicitly and then
 * over HTTPS with a printed certificate fingerprint, and no request, however malformed, brings it down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { loadOrCreateSelfSigned } from '../../electron/relay/selfsigned.js';
import { runCli, startCli, waitExit } from '../helpers/cli.js';
import { rawRequest } from '../helpers/http.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-cli-host-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `derpdesk host` on a free loopback port until `use` is done, then stops it and expects a clean exit. */
async function withHost(args: string[], use: (h: { url: URL; output: () => string }) => Promise<void>): Promise<void> {
  const started = await startCli(
    ['host', '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data'), ...args],
    /open (https?:\/\/\S+)/,
  );
  try {
    await use({ url: new URL(started.match[1]), output: started.output });
    expect(started.child.exitCode, started.output()).toBeNull();
  } finally {
    started.child.kill('SIGTERM');
    expect(await waitExit(started.child)).toBe(0);
  }
}

function peerFingerprint(port: number): Promise<{ fingerprint: string; der: Buffer }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const c = s.getPeerCertificate();
      s.destroy();
      resolve({ fingerprint: c.fingerprint256, der: c.raw });
    });
    s.on('error', reject);
  });
}

function httpsGet(url: string, ca: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      })
      .on('error', reject);
  });
}

const pemOf = (der: Buffer) =>
  `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;

describe('derpdesk host', () => {
  it('refuses a non-loopback --listen without --allow-remote, with exit code 2', async () => {
    for (const listen of ['0.0.0.0:0', '127.evil.example:0', '[::ffff:10.0.0.1]:0']) {
      const r = await runCli(['host', '--listen', listen]);
      expect(r.code, listen).toBe(2);
      expect(r.stderr).toContain('is not a loopback address; add --allow-remote');
    }
  });

  it('documents its flags', async () => {
    const r = await runCli(['host', '--help']);
    expect(r.code).toBe(0);
    for (const f of [
      '-listen addr',
      '-data-dir dir',
      '-allow-remote',
      '-host-name names',
      '-tls-cert file',
      '-tls-key file',
      '-verbose',
    ])
      expect(r.stdout).toContain(f);
  });

  it('rejects bad --host-name values and a lone --tls-cert or --tls-key', async () => {
    for (const args of [
      ['--host-name', 'https://relay.example.com'],
      ['--host-name', 'relay.example.com:443'],
      ['--host-name', 'a b'],
      ['--tls-cert', 'x.pem'],
      ['--tls-key', 'x.key'],
    ]) {
      const r = await runCli(['host', '--listen', '127.0.0.1:0', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/--host-name|--tls-cert and --tls-key go together/);
    }
  });

  it('answers malformed requests without the token with 400, on the page and the upgrade path, and stays up', async () => {
    await withHost([], async ({ url }) => {
      expect(url.protocol).toBe('http:');
      const port = Number(url.port);
      const upgrade =
        'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
      for (const target of ['/%', '/%zz', '/assets/%E0%A4%A', 'http://[', '/api%', 'http://[/api']) {
        for (const extra of ['', upgrade]) {
          const a = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}\r\n`);
          expect(a.status, `${target} ${extra ? 'upgrade' : 'page'}`).toBe(400);
        }
      }
      expect((await rawRequest(port, 'GARBAGE\r\n\r\n')).status).toBe(400);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    });
  });

  it('--allow-remote serves HTTPS only, with a self-signed certificate kept in the data dir and its fingerprint printed', async () => {
    let first = '';
    await withHost(['--allow-remote'], async ({ url, output }) => {
      expect(url.protocol).toBe('https:');
      const printed = /SHA-256 fingerprint:\n\s+([0-9A-F:]{95})\n/.exec(output())?.[1];
      const peer = await peerFingerprint(Number(url.port));
      expect(printed).toBe(peer.fingerprint);
      first = peer.fingerprint;
      const r = await httpsGet(`https://127.0.0.1:${url.port}/`, pemOf(peer.der));
      expect(r.status).toBe(200);
      expect(r.headers['strict-transport-security']).toBe('max-age=31536000');
      expect(r.headers['cache-control']).toBe('no-store');
      // Plain HTTP on the same port gets no page.
      expect((await rawRequest(Number(url.port), 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).status).toBe(0);

      // The bridge over wss://, token in the first message.
      const ws = new WebSocket(`wss://127.0.0.1:${url.port}/api`, {
        ca: pemOf(peer.der),
        origin: `https://127.0.0.1:${url.port}`,
      });
      const answer = await new Promise<unknown[]>((resolve, reject) => {
        const got: unknown[] = [];
        ws.on('open', () => ws.send(JSON.stringify({ auth: new URLSearchParams(url.hash.slice(1)).get('token') })));
        ws.on('message', (d) => {
          const m = JSON.parse(String(d));
          if ('event' in m) return;
          got.push(m);
          if (m.authed) ws.send(JSON.stringify({ id: 1, call: 'relay.getState', args: [] }));
          else resolve(got);
        });
        ws.on('error', reject);
      });
      ws.close();
      expect(answer).toEqual([{ authed: true }, { id: 1, ok: true, result: { status: 'stopped' } }]);
    });
    await withHost(['--allow-remote'], async ({ url, output }) => {
      expect((await peerFingerprint(Number(url.port))).fingerprint).toBe(first);
      expect(output()).toContain('self-signed, kept in');
    });
  });

  it("serves the operator's certificate with --tls-cert/--tls-key, and names a mismatched pair", async () => {
    const own = await loadOrCreateSelfSigned(path.join(dir, 'own'), '127.0.0.1');
    const other = await loadOrCreateSelfSigned(path.join(dir, 'other'), 'localhost');
    await withHost(['--tls-cert', own.certFile, '--tls-key', own.keyFile], async ({ url, output }) => {
      expect(url.protocol).toBe('https:');
      expect(output()).toContain(`from ${own.certFile}`);
      expect(output()).toContain((await peerFingerprint(Number(url.port))).fingerprint);
    });
    const r = await runCli([
      'host',
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      path.join(dir, 'data'),
      '--tls-cert',
      own.certFile,
      '--tls-key',
      other.keyFile,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('are unusable');
    expect(r.stderr).toContain('matching PEM private key');
  });
});
