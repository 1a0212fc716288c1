import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SettingsStore } from '../../electron/app/settings-store.js';
import { DEFAULT_SETTINGS, validateSettings } from '../../shared/settings.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-settings-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SettingsStore', () => {
  it('starts from defaults without writing anything', async () => {
    const s = await new SettingsStore(dir).load();
    expect(s.settings).toEqual(DEFAULT_SETTINGS);
    expect(s.loadProblem).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('saves atomically (0600, no temp files left), keeps a backup, and reads back', async () => {
    const store = new SettingsStore(dir);
    const r1 = await store.save({ ...DEFAULT_SETTINGS, regionName: 'first' });
    expect(r1.ok).toBe(true);
    await store.save({ ...DEFAULT_SETTINGS, regionName: 'second' });
    expect(readdirSync(dir).sort()).toEqual(['settings.json', 'settings.json.bak']);
    expect(statSync(path.join(dir, 'settings.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path.join(dir, 'settings.json.bak'), 'utf8')).regionName).toBe('first');
    expect((await new SettingsStore(dir).load()).settings.regionName).toBe('second');
  });

  it('refuses invalid settings with per-field messages and leaves the file alone', async () => {
    const store = new SettingsStore(dir);
    await store.save(DEFAULT_SETTINGS);
    const before = readFileSync(store.file, 'utf8');
    const r = await store.save({
      ...DEFAULT_SETTINGS,
      listenAddr: 'nope',
      regionId: 0,
      ipv4: '300.1.1.1',
      tlsMode: 'manual',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual({
      listenAddr: 'use host:port, :port or [ipv6]:port',
      regionId: 'a positive whole number (900-999 for your own regions)',
      ipv4: 'an IPv4 address, "none", or empty',
      tlsCertFile: 'TLS needs a certificate file (PEM)',
      tlsKeyFile: 'TLS needs a private key file (PEM)',
    });
    expect(readFileSync(store.file, 'utf8')).toBe(before);
  });

  it('reports a broken file, keeps it aside untouched, and uses defaults', async () => {
    writeFileSync(path.join(dir, 'settings.json'), '{"listenAddr": "127.0.0.1:1", oops');
    const s = await new SettingsStore(dir).load();
    expect(s.settings).toEqual(DEFAULT_SETTINGS);
    expect(s.loadProblem?.message).toMatch(/^Settings could not be read: the file is not valid JSON/);
    expect(readFileSync(s.loadProblem!.keptAs, 'utf8')).toBe('{"listenAddr": "127.0.0.1:1", oops');
    expect(readdirSync(dir)).toEqual([path.basename(s.loadProblem!.keptAs)]);
  });

  it('fills fields missing from an older file with defaults', async () => {
    writeFileSync(path.join(dir, 'settings.json'), '{"regionCode":"old","regionId":"not a number"}');
    const s = await new SettingsStore(dir).load();
    expect(s.settings.regionCode).toBe('old');
    expect(s.settings.regionId).toBe(DEFAULT_SETTINGS.regionId);
  });
});

describe('start on launch', () => {
  it('is off by default and for a file from before the setting, and persists when turned on', async () => {
    expect(DEFAULT_SETTINGS.startOnLaunch).toBe(false);
    writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ regionName: 'older' }));
    expect((await new SettingsStore(dir).load()).settings).toMatchObject({ regionName: 'older', startOnLaunch: false });
    const saved = await new SettingsStore(dir).save({ regionName: 'older', startOnLaunch: true });
    expect(saved.ok).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, 'settings.json'), 'utf8')).startOnLaunch).toBe(true);
    expect((await new SettingsStore(dir).load()).settings.startOnLaunch).toBe(true);
  });
});

describe('validateSettings', () => {
  it('accepts the defaults and common listen forms', () => {
    expect(validateSettings(DEFAULT_SETTINGS)).toEqual({});
    for (const listenAddr of [':443', '0.0.0.0:3340', '[::]:443', '[::1]:0', 'derp.example.com:443']) {
      expect(validateSettings({ ...DEFAULT_SETTINGS, listenAddr })).toEqual({});
    }
    expect(validateSettings({ ...DEFAULT_SETTINGS, listenAddr: '[zz::1]:443' }).listenAddr).toBe(
      '"zz::1" is not an IPv6 address',
    );
    expect(validateSettings({ ...DEFAULT_SETTINGS, listenAddr: ':70000' }).listenAddr).toBe(
      'port 70000 is out of range (0-65535)',
    );
    expect(validateSettings({ ...DEFAULT_SETTINGS, stunListen: '127.0.0.1:3478, bad' }).stunListen).toBe(
      'bad: use host:port, :port or [ipv6]:port',
    );
    expect(validateSettings({ ...DEFAULT_SETTINGS, ipv6: '2001:db8::1', ipv4: 'none' })).toEqual({});
  });
});

describe('SettingsStore under concurrent saves', () => {
  it('100 parallel saves leave disk and memory equal, the last call winning', async () => {
    const store = new SettingsStore(dir);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => store.save({ ...DEFAULT_SETTINGS, regionName: `save ${i}` })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    const onDisk = JSON.parse(readFileSync(store.file, 'utf8'));
    expect(onDisk.regionName).toBe('save 99');
    expect((await store.load()).settings).toEqual(onDisk);
    expect((await new SettingsStore(dir).load()).settings).toEqual(onDisk);
    expect(readdirSync(dir).sort()).toEqual(['settings.json', 'settings.json.bak']);
  });

  it('a failed save does not stop the ones queued after it', async () => {
    const store = new SettingsStore(dir);
    const failing = store.save(DEFAULT_SETTINGS, () => Promise.reject(new Error('policy down')));
    const next = store.save({ ...DEFAULT_SETTINGS, regionName: 'after' });
    await expect(failing).rejects.toThrow('policy down');
    expect(await next).toMatchObject({ ok: true });
    expect(JSON.parse(readFileSync(store.file, 'utf8')).regionName).toBe('after');
  });
});

describe('settings validation of paths and text', () => {
  it('wants absolute paths without control characters in every path field', () => {
    expect(
      validateSettings({
        ...DEFAULT_SETTINGS,
        allowKeysFile: 'allow.txt',
        keyFile: '/k\n',
        meshKeyFile: '/etc/derp/mesh\0',
        tlsCertFile: '../c.pem',
      }),
    ).toEqual({
      allowKeysFile: 'a full path, e.g. /etc/derp/allow.txt',
      keyFile: 'no line breaks or other control characters',
      meshKeyFile: 'no line breaks or other control characters',
      tlsCertFile: 'a full path, e.g. /etc/derp/file',
    });
    expect(
      validateSettings({ ...DEFAULT_SETTINGS, allowKeysFile: '/etc/derp/allow.txt', keyFile: 'C:\\derp\\key.json' }),
    ).toEqual({});
    expect(validateSettings({ ...DEFAULT_SETTINGS, regionName: 'two\nlines' })).toEqual({
      regionName: 'no line breaks or other control characters',
    });
  });
});
