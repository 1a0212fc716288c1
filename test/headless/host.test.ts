/** `derpdesk host`'s web bridge end to end: static files with CSP, token-protected API calls, pushed events. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createAppServices, type AppServices } from '../../electron/app/services.js';
import { CONTENT_SECURITY_POLICY, startHost, type RunningHost } from '../../electron/headless/host.js';
import { silentLogger } from '../../electron/util/log.js';
import type { BridgeMessage } from '../../shared/api.js';
import { DerpClient } from '../../electron/derp/client.js';
import { eventually } from '../helpers/relay.js';

let dir: string;
let services: AppServices;
let host: RunningHost;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-host-'));
  const web = path.join(dir, 'web');
  mkdirSync(web);
  writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>derpdesk</title>');
  services = createAppServices({ dataDir: path.join(dir, 'data'), logger: silentLogger });
  host = await startHost({ services, staticDir: web, host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await host.close();
  await services.dispose();
  rmSync(dir, { recursive: true, force: true });
});

class Bridge {
  private nextId = 1;
  readonly events: Array<{ event: string; payload: unknown }> = [];
  private pending = new Map<number, (m: BridgeMessage) => void>();
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as BridgeMessage;
      if ('event' in m) this.events.push(m);
      else this.pending.get(m.id)?.(m);
    });
  }
  static open(token: string | null): Promise<Bridge> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api${token === null ? '' : `?token=${encodeURIComponent(token)}`}`);
      ws.once('open', () => resolve(new Bridge(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }
  call(call: string, ...args: unknown[]): Promise<BridgeMessage> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, call, args }));
    });
  }
}

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

  it('refuses the API without the token, or with a wrong one', async () => {
    await expect(Bridge.open(null)).rejects.toThrow('HTTP 401');
    await expect(Bridge.open('wrong')).rejects.toThrow('HTTP 401');
    await expect(Bridge.open(host.token.slice(1) + 'x')).rejects.toThrow('HTTP 401');
  });

  it('serves calls, reports errors per call, and pushes events', async () => {
    const b = await Bridge.open(host.token);
    expect(await b.call('relay.getState')).toEqual({ id: 1, ok: true, result: { status: 'stopped' } });
    expect(await b.call('no.such.call')).toEqual({ id: 2, ok: false, error: 'unknown call "no.such.call"' });
    const bad = await b.call('settings.save', { listenAddr: 'x' });
    expect(bad).toMatchObject({ ok: true, result: { ok: false, errors: { listenAddr: 'use host:port, :port or [ipv6]:port' } } });
    await eventually(() => b.events.some((e) => e.event === 'stats.sample'), 3000, 'a stats sample');
    b.ws.close();
  });

  it('starts the relay from the API, shows real peers, and stops it', async () => {
    const b = await Bridge.open(host.token);
    const saved = await b.call('settings.save', { ...(((await b.call('settings.get')) as { result: { settings: object } }).result.settings), listenAddr: '127.0.0.1:0', stunEnabled: false });
    expect(saved).toMatchObject({ ok: true, result: { ok: true } });
    const started = (await b.call('relay.start')) as { result: { status: string; endpoints: Array<{ url: string }> } };
    expect(started.result.status).toBe('running');
    expect(b.events.some((e) => e.event === 'relay.state' && (e.payload as { status: string }).status === 'starting')).toBe(true);
    const url = started.result.endpoints[0].url.replace('localhost', '127.0.0.1');
    const c = await DerpClient.connect({ url });
    await eventually(() => b.events.some((e) => e.event === 'peers.snapshot' && (e.payload as unknown[]).length === 1), 3000, 'peer in snapshot');
    const entry = (await b.call('map.entry')) as { result: { json: string } };
    expect(JSON.parse(entry.result.json).Regions['900'].Nodes[0].DERPPort).toBe(Number(new URL(url).port));
    expect(await b.call('relay.stop')).toMatchObject({ ok: true, result: { status: 'stopped' } });
    await eventually(() => c.isClosed, 3000, 'client closed by stop');
    b.ws.close();
  });
});
