/**
 * `derpdesk host` from the built CLI: loopback by default, remote binding only when asked for explicitly and then
 * over HTTPS with a printed certificate fingerprint, and no request, however malformed, brings it down.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DerpClient } from '../../electron/derp/client.js';
import { loadOrCreateSelfSigned } from '../../electron/relay/selfsigned.js';
import { Bridge } from '../helpers/bridge.js';
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
      '-token-file file',
      '-verbose',
      '-print-systemd-unit',
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

/** Starts `derpdesk host` on a free loopback port with `dataDir`, ready when its output matches `ready`. */
function startHostCli(dataDir: string, args: string[], ready = /open (http:\/\/\S+)/) {
  return startCli(['host', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...args], ready);
}

async function stopHost(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  expect(await waitExit(child)).toBe(0);
}

/** Opens the host's API with the token of the URL it printed. */
function bridgeOf(output: string): Promise<Bridge> {
  const url = new URL(/open (http:\/\/\S+)/.exec(output)![1]);
  return Bridge.open(Number(url.port), new URLSearchParams(url.hash.slice(1)).get('token')!);
}

/** The result of a call that must succeed. */
async function resultOf(bridge: Bridge, call: string, ...args: unknown[]): Promise<unknown> {
  const m = await bridge.call(call, ...args);
  if (!('ok' in m) || !m.ok) throw new Error(`${call} failed: ${JSON.stringify(m)}`);
  return m.result;
}

describe('derpdesk host --token-file', () => {
  it('makes the token file once and serves the same token after a restart, printing it only in the URL', async () => {
    const data = path.join(dir, 'token-data');
    const file = path.join(dir, 'token-dir', 'host-token');
    const tokens: string[] = [];
    for (const run of ['made and saved in', 'read from']) {
      const h = await startHostCli(data, ['--token-file', file]);
      try {
        const token = new URL(h.match[1]).hash.replace('#token=', '');
        expect(readFileSync(file, 'utf8')).toBe(`${token}\n`);
        expect(h.output()).toContain(`access token ${run} ${file}`);
        expect(h.output().split(token).length - 1, 'the token appears once, in the URL line').toBe(1);
        tokens.push(token);
      } finally {
        await stopHost(h.child);
      }
    }
    expect(tokens[1]).toBe(tokens[0]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  }, 60_000);

  it('refuses a token file others can read, with exit code 2 and the chmod that fixes it', async () => {
    const file = path.join(dir, 'loose-token');
    writeFileSync(file, 'x'.repeat(32), { mode: 0o644 });
    chmodSync(file, 0o644);
    const r = await runCli([
      'host',
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      path.join(dir, 'data'),
      '--token-file',
      file,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`run: chmod 600 ${file}`);
    expect(r.stdout + r.stderr).not.toContain('x'.repeat(32));
  });
});

describe('derpdesk host: start the relay when the app starts', () => {
  it('starts the relay at launch once the setting is saved, and SIGTERM tells its clients to reconnect', async () => {
    const data = path.join(dir, 'launch-data');
    const first = await startHostCli(data, []);
    try {
      const bridge = await bridgeOf(first.output());
      const saved = await bridge.call('settings.save', {
        listenAddr: '127.0.0.1:0',
        stunEnabled: false,
        startOnLaunch: true,
      });
      expect(saved).toMatchObject({ ok: true, result: { ok: true } });
      expect(await resultOf(bridge, 'relay.getState'), 'saving does not start it').toEqual({ status: 'stopped' });
      bridge.close();
    } finally {
      await stopHost(first.child);
    }

    const second = await startHostCli(data, [], /relay \S+ listening on http:\/\/127\.0\.0\.1:(\d+)\/derp/);
    try {
      const client = await DerpClient.connect({ url: `http://127.0.0.1:${second.match[1]}/derp` });
      expect(await client.ping()).toBeGreaterThan(0);
      const bridge = await bridgeOf(second.output());
      expect(await resultOf(bridge, 'relay.getState')).toMatchObject({ status: 'running' });
      bridge.close();
      const restarting = new Promise<number>((resolve) => client.once('restarting', (ms) => resolve(ms)));
      second.child.kill('SIGTERM');
      expect(await restarting).toBeGreaterThan(0);
      expect(await waitExit(second.child)).toBe(0);
    } finally {
      second.child.kill('SIGKILL');
    }
  }, 60_000);

  it('keeps serving the GUI when the relay cannot start, and shows why in the relay state and the log', async () => {
    const data = path.join(dir, 'launch-busy');
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    mkdirSync(data, { recursive: true });
    writeFileSync(
      path.join(data, 'settings.json'),
      JSON.stringify({ listenAddr: `127.0.0.1:${port}`, stunEnabled: false, startOnLaunch: true }),
    );
    const h = await startHostCli(data, [], /the relay did not start: .*\n/);
    try {
      expect(h.output()).toContain(`address 127.0.0.1:${port} is already in use`);
      const url = new URL(/open (http:\/\/\S+)/.exec(h.output())![1]);
      expect((await fetch(`http://127.0.0.1:${url.port}/`)).status).toBe(200);
      const bridge = await bridgeOf(h.output());
      const state = (await resultOf(bridge, 'relay.getState')) as { status: string; error: string };
      expect(state.status).toBe('failed');
      expect(state.error).toContain(`address 127.0.0.1:${port} is already in use`);
      bridge.close();
    } finally {
      blocker.close();
      await stopHost(h.child);
    }
  });
});
