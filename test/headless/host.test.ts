/**
 * `derpdesk host`'s web bridge end to end: static files with security headers, the request guard (malformed
 * targets, Host, Origin), the token in the first WebSocket message, API calls and pushed events.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MAX_UNAUTHENTICATED } from '../../electron/headless/bridge.js';
import { CONTENT_SECURITY_POLICY, startHost, type RunningHost } from '../../electron/headless/host.js';
import type { AppServices } from '../../electron/app/services.js';
import { BRIDGE_CLOSE_UNAUTHORIZED } from '../../shared/api.js';
import { rawRequest, wsClose } from '../helpers/http.js';
import { DerpClient } from '../../electron/derp/client.js';
import { Bridge } from '../helpers/bridge.js';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { eventually } from '../helpers/relay.js';

let t: TestHost;
let services: AppServices;
let host: RunningHost;

beforeAll(async () => {
  t = await startTestHost('host', { host: { hostNames: ['derp.example.test'], authDeadlineMs: 300 } });
  ({ services, host } = t);
});
afterAll(async () => {
  await t?.close();
});

describe('derpdesk host', () => {
  it('prints a URL carrying the access token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/#token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(32);
  });

  it('serves the GUI with a strict Content-Security-Policy and no directory escapes', async () => {
    const r = await fetch(`http://127.0.0.1:${host.port}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await r.text()).toContain('<title>derpdesk</title>');
    expect((await fetch(`http://127.0.0.1:${host.port}/..%2f..%2fdata%2fsettings.json`)).status).toBe(404);
  });

  it('sends the security headers, no-store included, on pages and on every refusal; no HSTS over plain HTTP', async () => {
    const answers = [
      await rawRequest(host.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      await rawRequest(host.port, 'GET /nope.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      await rawRequest(host.port, 'GET /% HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      await rawRequest(host.port, 'GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n'),
      await rawRequest(host.port, 'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n'),
      await rawRequest(
        host.port,
        'GET /api HTTP/1.1\r\nHost: evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      ),
      await rawRequest(
        host.port,
        'GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      ),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 404, 400, 421, 405, 421, 404]);
    for (const a of answers) {
      expect(a.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(a.headers['x-content-type-options']).toBe('nosniff');
      expect(a.headers['referrer-policy']).toBe('no-referrer');
      expect(a.headers['cache-control']).toBe('no-store');
      expect(a.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('answers malformed request targets with 400, on the page and the upgrade path, and keeps serving', async () => {
    const targets = ['/%', '/%zz', '/assets/%E0%A4%A', 'http://[', '/%00', '*', 'relay.example.com:443'];
    for (const t of targets) {
      for (const upgrade of [
        '',
        'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n',
      ]) {
        const a = await rawRequest(host.port, `GET ${t} HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgrade}\r\n`);
        expect(a.status, `${t} ${upgrade ? 'upgrade' : 'page'}`).toBe(400);
      }
    }
    expect((await fetch(`http://127.0.0.1:${host.port}/`)).status).toBe(200);
  });

  it('answers only to its own names: loopback names on loopback, --host-name names, any port (SSH tunnels)', async () => {
    const status = async (hostHeader: string) =>
      (await rawRequest(host.port, `GET / HTTP/1.1\r\nHost: ${hostHeader}\r\n\r\n`)).status;
    for (const ok of [
      '127.0.0.1',
      `127.0.0.1:${host.port}`,
      'localhost:9000',
      'LOCALHOST',
      '[::1]:7080',
      '127.0.0.2',
      'derp.example.test',
      'DERP.example.test:443',
    ])
      expect(await status(ok), ok).toBe(200);
    for (const bad of [
      'evil.example',
      `evil.example:${host.port}`,
      '127.0.0.1.nip.io',
      'localhost.evil.example',
      'derp.example.test.evil.example',
      '10.0.0.1',
    ])
      expect(await status(bad), bad).toBe(421);
    for (const malformed of ['', 'a b', '[::1', '127.0.0.1:x', 'ex_ample.test', '-a.test'])
      expect(await status(malformed), malformed).toBe(400);
    expect((await rawRequest(host.port, 'GET / HTTP/1.1\r\n\r\n')).status).toBe(400);
  });

  it('refuses cross-origin requests and WebSockets from another origin; accepts its own origin', async () => {
    const own = `http://127.0.0.1:${host.port}`;
    const page = async (origin: string) =>
      (await rawRequest(host.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nOrigin: ${origin}\r\n\r\n`))
        .status;
    expect(await page(own)).toBe(200);
    for (const o of [
      'http://evil.example',
      'null',
      `https://127.0.0.1:${host.port}`,
      `http://localhost:${host.port}`,
      `${own}.evil.example`,
    ])
      expect(await page(o), o).toBe(403);

    const ws = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const s = new WebSocket(`ws://127.0.0.1:${host.port}/api`, { origin });
        s.once('open', () => {
          s.close();
          resolve(101);
        });
        s.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
        s.once('error', reject);
      });
    expect(await ws(own)).toBe(101);
    expect(await ws('http://evil.example')).toBe(403);
    expect(await ws(`http://127.0.0.1:${host.port + 1}`)).toBe(403);
  });

  it('wants the token in the first message: no token, a wrong one, a call first, or silence close the socket with 4001', async () => {
    await expect(Bridge.open(host.port, 'wrong')).rejects.toThrow(`closed ${BRIDGE_CLOSE_UNAUTHORIZED}`);
    await expect(Bridge.open(host.port, host.token.slice(1) + 'x')).rejects.toThrow(
      `closed ${BRIDGE_CLOSE_UNAUTHORIZED}`,
    );
    await expect(Bridge.open(host.port, `${host.token}x`)).rejects.toThrow(`closed ${BRIDGE_CLOSE_UNAUTHORIZED}`);
    const before = await wsClose(`ws://127.0.0.1:${host.port}/api`, [
      JSON.stringify({ id: 1, call: 'relay.getState', args: [] }),
    ]);
    expect(before).toMatchObject({ code: BRIDGE_CLOSE_UNAUTHORIZED, received: [] });
    const silent = await wsClose(`ws://127.0.0.1:${host.port}/api`, []);
    expect(silent).toMatchObject({ code: BRIDGE_CLOSE_UNAUTHORIZED, received: [] });
    expect(silent.afterMs).toBeGreaterThanOrEqual(250);
    // The token in the URL, as older clients sent it, counts for nothing.
    const inUrl = await wsClose(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, [
      JSON.stringify({ id: 1, call: 'relay.getState', args: [] }),
    ]);
    expect(inUrl).toMatchObject({ code: BRIDGE_CLOSE_UNAUTHORIZED, received: [] });
  });

  it(`lets at most ${MAX_UNAUTHENTICATED} sockets wait to authenticate at once, refusing more with 503`, async () => {
    const patient = await startHost({ services, staticDir: t.web, host: '127.0.0.1', port: 0 });
    const open = (url: string) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
        ws.once('error', reject);
      });
    const url = `ws://127.0.0.1:${patient.port}/api`;
    try {
      const waiting = await Promise.all(Array.from({ length: MAX_UNAUTHENTICATED }, () => open(url)));
      await expect(open(url)).rejects.toThrow('HTTP 503');
      // One authenticates: its place is free again.
      waiting[0].send(JSON.stringify({ auth: patient.token }));
      await new Promise((r) => waiting[0].once('message', r));
      const next = await open(url);
      await expect(open(url)).rejects.toThrow('HTTP 503');
      for (const ws of [...waiting, next]) ws.terminate();
      await eventually(
        async () =>
          await open(url).then(
            (ws) => {
              ws.terminate();
              return true;
            },
            () => false,
          ),
        3000,
        'a place after the waiting sockets closed',
      );
    } finally {
      await patient.close();
    }
  });

  it('serves calls, reports errors per call, and pushes events', async () => {
    const b = await Bridge.open(host.port, host.token);
    expect(await b.call('relay.getState')).toEqual({ id: 1, ok: true, result: { status: 'stopped' } });
    expect(await b.call('no.such.call')).toEqual({ id: 2, ok: false, error: 'unknown call "no.such.call"' });
    const bad = await b.call('settings.save', { listenAddr: 'x' });
    expect(bad).toMatchObject({
      ok: true,
      result: { ok: false, errors: { listenAddr: 'use host:port, :port or [ipv6]:port' } },
    });
    await eventually(() => b.events.some((e) => e.event === 'stats.sample'), 3000, 'a stats sample');
    b.ws.close();
  });

  it('names a missing file in words, not a bare ENOENT: a map to open, the TLS certificate of a relay to start', async () => {
    const b = await Bridge.open(host.port, host.token);
    const map = path.join(t.dir, 'data', 'nope.yaml');
    expect(await b.call('map.open', { kind: 'file', path: map })).toMatchObject({
      ok: false,
      error: `cannot read ${map}: no such file or directory`,
    });
    const before = ((await b.call('settings.get')) as { result: { settings: object } }).result.settings;
    const cert = path.join(t.dir, 'data', 'relay.crt');
    const saved = await b.call('settings.save', {
      ...before,
      listenAddr: '127.0.0.1:0',
      stunEnabled: false,
      tlsMode: 'manual',
      tlsCertFile: cert,
      tlsKeyFile: path.join(t.dir, 'data', 'relay.key'),
    });
    expect(saved).toMatchObject({ ok: true, result: { ok: true } });
    try {
      expect(await b.call('relay.start')).toMatchObject({
        ok: true,
        result: { status: 'failed', error: `cannot read the TLS certificate: No such file: ${cert} (ENOENT)` },
      });
    } finally {
      await b.call('settings.save', before);
      b.ws.close();
    }
  });

  it('starts the relay from the API, shows real peers, and stops it', async () => {
    const b = await Bridge.open(host.port, host.token);
    const saved = await b.call('settings.save', {
      ...((await b.call('settings.get')) as { result: { settings: object } }).result.settings,
      listenAddr: '127.0.0.1:0',
      stunEnabled: false,
    });
    expect(saved).toMatchObject({ ok: true, result: { ok: true } });
    const started = (await b.call('relay.start')) as { result: { status: string; endpoints: Array<{ url: string }> } };
    expect(started.result.status).toBe('running');
    expect(
      b.events.some((e) => e.event === 'relay.state' && (e.payload as { status: string }).status === 'starting'),
    ).toBe(true);
    const url = started.result.endpoints[0].url.replace('localhost', '127.0.0.1');
    const c = await DerpClient.connect({ url });
    await eventually(
      () => b.events.some((e) => e.event === 'peers.snapshot' && (e.payload as unknown[]).length === 1),
      3000,
      'peer in snapshot',
    );
    const entry = (await b.call('relay.mapEntry')) as { result: { json: string } };
    expect(JSON.parse(entry.result.json).Regions['900'].Nodes[0].DERPPort).toBe(Number(new URL(url).port));
    expect(await b.call('relay.stop')).toMatchObject({ ok: true, result: { status: 'stopped' } });
    await eventually(() => c.isClosed, 3000, 'client closed by stop');
    b.ws.close();
  });
});
