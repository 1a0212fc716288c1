/**
 * The app's relay with trust settings, driven through the same handlers the GUI calls: an allowlist edited from
 * the GUI takes effect on the running relay, refusals are listed, a self-signed certificate's pin reaches the
 * DERP map entry, and two app relays mesh.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAppServices, type AppServices } from '../../electron/app/services.js';
import { DerpClient } from '../../electron/derp/client.js';
import { formatNodePublic, generateKeyPair } from '../../electron/derp/keys.js';
import { RootsPolicy } from '../../electron/app/file-access.js';
import { silentLogger } from '../../electron/util/log.js';
import { DEFAULT_SETTINGS, type RelaySettings } from '../../shared/settings.js';
import { eventually } from '../helpers/relay.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-trust-'));
const all: AppServices[] = [];
afterAll(async () => {
  await Promise.all(all.map((s) => s.dispose()));
  rmSync(dir, { recursive: true, force: true });
});

async function app(
  name: string,
  over: Partial<RelaySettings>,
): Promise<{ s: AppServices; url: string; state: Awaited<ReturnType<AppServices['handlers']['relay.start']>> }> {
  const s = createAppServices({ dataDir: path.join(dir, name), logger: silentLogger, files: new RootsPolicy([dir]) });
  all.push(s);
  const saved = await s.handlers['settings.save']({
    ...DEFAULT_SETTINGS,
    listenAddr: '127.0.0.1:0',
    stunEnabled: false,
    ...over,
  });
  if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
  const state = await s.handlers['relay.start']();
  if (state.status !== 'running') throw new Error(JSON.stringify(state));
  return { s, url: state.endpoints[0].url.replace('localhost', '127.0.0.1'), state };
}

describe('trust from the app', () => {
  it('applies an allowlist saved from the GUI to the running relay and lists refused clients', async () => {
    const allow = path.join(dir, 'allow.txt');
    const alice = generateKeyPair();
    writeFileSync(allow, '');
    const { s, url } = await app('allow', { allowKeysFile: allow });
    await expect(DerpClient.connect({ url, keyPair: alice, timeoutMs: 2000 })).rejects.toThrow();
    const trust = await s.handlers['trust.get']();
    expect(trust.denied.map((d) => d.key)).toEqual([formatNodePublic(alice.publicKey)]);

    expect(await s.handlers['allowlist.save']('nodekey:nope\n')).toEqual({
      ok: false,
      problems: ['line 1: expected nodekey: followed by 64 hex characters'],
    });
    expect(await s.handlers['allowlist.save'](`# alice\n${formatNodePublic(alice.publicKey)}`)).toEqual({ ok: true });
    expect((await s.handlers['allowlist.get']())?.text).toBe(`# alice\n${formatNodePublic(alice.publicKey)}\n`);
    await eventually(
      async () => {
        const c = await DerpClient.connect({ url, keyPair: alice, timeoutMs: 2000 }).catch(() => null);
        c?.close();
        return c !== null;
      },
      5000,
      'alice admitted after the edit',
    );
  });

  it('makes a self-signed certificate and puts its pin in the DERP map entry', async () => {
    const { s, url, state } = await app('selfsigned', { tlsMode: 'self-signed', hostName: '127.0.0.1', httpPort: -1 });
    if (state.status !== 'running') throw new Error('not running');
    expect(state.certName).toMatch(/^sha256-raw:[0-9a-f]{64}$/);
    expect(url.startsWith('https://')).toBe(true);
    const c = await DerpClient.connect({ url, certName: state.certName });
    expect(await c.ping()).toBeGreaterThan(0);
    c.close();
    const entry = await s.handlers['relay.mapEntry']();
    expect(JSON.parse(entry.json).Regions['900'].Nodes[0].CertName).toBe(state.certName);
    expect(entry.yaml).toContain(`certname: "${state.certName}"`);
  });

  it('meshes two app relays and reports the links', async () => {
    const keyFile = path.join(dir, 'mesh.key');
    writeFileSync(keyFile, 'ab'.repeat(32) + '\n');
    const a = await app('mesh-a', { meshKeyFile: keyFile });
    const b = await app('mesh-b', { meshKeyFile: keyFile, meshWith: a.url });
    // a dials b only after it learns b's URL: save and restart a with the peer.
    await a.s.handlers['relay.stop']();
    const saved = await a.s.handlers['settings.get']();
    await a.s.handlers['settings.save']({ ...saved.settings, listenAddr: new URL(a.url).host, meshWith: b.url });
    await a.s.handlers['relay.start']();
    await eventually(
      async () => (await a.s.handlers['trust.get']()).mesh.every((l) => l.state === 'up'),
      5000,
      'a linked',
    );
    await eventually(
      async () => (await b.s.handlers['trust.get']()).mesh.every((l) => l.state === 'up'),
      8000,
      'b linked',
    );
    const ca = await DerpClient.connect({ url: a.url });
    const cb = await DerpClient.connect({ url: b.url });
    const got: string[] = [];
    cb.onPacket = (_s, p) => void got.push(p.toString());
    await eventually(
      async () => (await a.s.handlers['trust.get']()).mesh[0].remoteClients >= 1,
      5000,
      'remote client known',
    );
    ca.send(cb.publicKey, Buffer.from('across the mesh'));
    await eventually(() => got.includes('across the mesh'), 5000, 'forwarded packet');
    expect((await a.s.handlers['trust.get']()).forwardedOut).toBe(1);
    ca.close();
    cb.close();
  });
});
