/** The map editor's file operations through the API handlers: open, diff, guarded atomic save with backup. */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAppServices } from '../../electron/app/services.js';
import { RootsPolicy } from '../../electron/app/file-access.js';
import { silentLogger } from '../../electron/util/log.js';
import { unifiedDiff } from '../../electron/util/line-diff.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-mapedit-'));
const s = createAppServices({ dataDir: path.join(dir, 'data'), logger: silentLogger, files: new RootsPolicy([dir]) });
afterAll(async () => {
  await s.dispose();
  rmSync(dir, { recursive: true, force: true });
});
const h = s.handlers;
const fixture = path.resolve(import.meta.dirname, '../derpmap/fixtures/headscale-derp.yaml');

describe('map editor API', () => {
  it('opens a derp.yaml with its issues, shows the diff of an edit, saves it with a backup and keeps comments', async () => {
    const file = path.join(dir, 'derp.yaml');
    copyFileSync(fixture, file);
    const opened = await h['map.open']({ kind: 'file', path: file });
    expect(opened.format).toBe('yaml');
    expect(opened.issues.filter((i) => i.severity === 'error')).toEqual([]);
    opened.map.Regions['900'].Nodes[0].HostName = 'derp-fra-9.example.com';
    const req = { path: file, map: opened.map, format: opened.format, baseText: opened.text };
    expect(await h['map.diff'](req)).toBe(
      `--- ${file}\n+++ ${file}\n@@ -12,5 +12,5 @@\n       - name: 900a\n         regionid: 900\n-        hostname: derp-fra-1.example.com\n+        hostname: derp-fra-9.example.com\n         ipv4: 203.0.113.10\n         ipv6: "2001:db8::10"\n`,
    );
    const saved = await h['map.save'](req);
    expect(saved).toMatchObject({ ok: true, backup: `${file}.bak` });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('regioncode: fra   # Frankfurt');
    expect(text).toContain('hostname: derp-fra-9.example.com');
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(readFileSync(fixture, 'utf8'));
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('refuses to overwrite a file changed on disk, or a map with errors', async () => {
    const file = path.join(dir, 'derp2.yaml');
    copyFileSync(fixture, file);
    const opened = await h['map.open']({ kind: 'file', path: file });
    writeFileSync(file, readFileSync(fixture, 'utf8') + '# someone else\n');
    const r = await h['map.save']({ path: file, map: opened.map, format: 'yaml', baseText: opened.text });
    expect(r).toMatchObject({ ok: false, error: expect.stringContaining('changed on disk since it was opened') });
    const broken = structuredClone(opened.map);
    broken.Regions['900'].Nodes[0].RegionID = 1;
    const again = await h['map.open']({ kind: 'file', path: file });
    const e = await h['map.save']({ path: file, map: broken, format: 'yaml', baseText: again.text });
    expect(e).toMatchObject({ ok: false, error: 'the map has 1 error; fix them before saving' });
    expect(readFileSync(file, 'utf8')).toBe(again.text);
  });

  it('saves a pasted map as a new file, and replaces an existing one only when asked', async () => {
    const pasted = await h['map.open']({ kind: 'text', text: readFileSync(fixture, 'utf8') });
    const file = path.join(dir, 'new', 'saved-as.json');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.dirname(file));
    const req = { path: file, map: pasted.map, format: 'json' as const, baseText: '' };
    expect(await h['map.diff'](req)).toMatch(/^--- .*\n\+\+\+ .*\n@@ -0,0 \+1,\d+ @@\n\+\{\n/);
    expect(await h['map.save'](req)).toMatchObject({ ok: true, backup: null });
    expect(JSON.parse(readFileSync(file, 'utf8')).Regions['900'].RegionCode).toBe('fra');

    const existing = path.join(dir, 'existing.yaml');
    writeFileSync(existing, '# not yours\n');
    const refused = await h['map.save']({ ...req, path: existing, format: 'yaml' });
    expect(refused).toEqual({
      ok: false,
      error: `${existing} already exists; tick "Replace an existing file" to overwrite it (a .bak copy is kept), or choose another name`,
    });
    expect(readFileSync(existing, 'utf8')).toBe('# not yours\n');
    const replaced = await h['map.save']({ ...req, path: existing, format: 'yaml', replace: true });
    expect(replaced).toMatchObject({ ok: true, backup: `${existing}.bak` });
    expect(readFileSync(`${existing}.bak`, 'utf8')).toBe('# not yours\n');
    expect(readFileSync(existing, 'utf8')).toMatch(/^regions:\n {2}900:\n/);
  });

  it('saves a renumbered region under its new key with its comments', async () => {
    const file = path.join(dir, 'renumber.yaml');
    copyFileSync(fixture, file);
    const opened = await h['map.open']({ kind: 'file', path: file });
    const fra = opened.map.Regions['900'];
    delete opened.map.Regions['900'];
    fra.RegionID = 950;
    for (const n of fra.Nodes) n.RegionID = 950;
    opened.map.Regions['950'] = fra;
    const r = await h['map.save']({ path: file, map: opened.map, format: 'yaml', baseText: opened.text });
    expect(r).toMatchObject({ ok: true });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('  950:\n    regionid: 950\n    regioncode: fra # Frankfurt\n');
    expect(text).toContain('      # primary\n      - name: 900a\n        regionid: 950\n');
  });

  it('opens pasted JSON and exports it as YAML', async () => {
    const opened = await h['map.open']({
      kind: 'text',
      text: '{"Regions":{"900":{"RegionID":900,"RegionCode":"x","RegionName":"X","Nodes":[{"Name":"a","RegionID":900,"HostName":"x.example.com"}]}}}',
    });
    expect(opened.format).toBe('json');
    expect(await h['map.export'](opened.map, 'yaml')).toMatch(/^regions:\n {2}900:\n/);
  });
});

describe('unified diff', () => {
  it('is empty for equal texts and shows hunks with context', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n')).toBe('');
    expect(unifiedDiff('1\n2\n3\n4\n5\n6\n7\n', '1\n2\n3\nX\n5\n6\n7\n', 'f', 1)).toBe(
      '--- f\n+++ f\n@@ -3,3 +3,3 @@\n 3\n-4\n+X\n 5\n',
    );
  });
});

describe('headscale merged map', () => {
  it('merges urls, paths relative to config.yaml and the embedded region, and reports unusable sources', async () => {
    const hs = path.join(dir, 'hs');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(hs, { recursive: true });
    copyFileSync(fixture, path.join(hs, 'derp.yaml'));
    writeFileSync(
      path.join(hs, 'config.yaml'),
      'server_url: https://hs.example.com\nderp:\n  server:\n    enabled: true\n    region_id: 999\n    stun_listen_addr: "0.0.0.0:3478"\n  urls:\n    - http://127.0.0.1:1/derpmap/default\n  paths:\n    - derp.yaml\n    - missing.yaml\n',
    );
    const m = await h['map.headscale']({ configPath: path.join(hs, 'config.yaml') });
    expect(Object.keys(m.map.Regions)).toEqual(['900', '901', '999']);
    expect(m.origins).toEqual({ '900': 'derp.yaml', '901': 'derp.yaml', '999': 'headscale embedded DERP server' });
    expect(m.problems.length).toBe(2);
    expect(m.problems[0]).toMatch(/^http:\/\/127\.0\.0\.1:1\/derpmap\/default: cannot fetch/);
    expect(m.problems[1]).toBe(`missing.yaml: cannot read ${path.join(hs, 'missing.yaml')}: no such file or directory`);
  });
});

describe('headscale config.yaml derp section', () => {
  const hsFixture = path.resolve(import.meta.dirname, '../derpmap/fixtures/headscale-config.yaml');
  const tail = '\noidc:\n  client_secret: "s3cret"   # aligned\n';

  it('opens only the derp section, diffs and saves it, and keeps every byte outside it', async () => {
    const file = path.join(dir, 'hs-config.yaml');
    const original = readFileSync(hsFixture, 'utf8') + tail;
    writeFileSync(file, original);
    const opened = await h['map.headscaleDerp']({ configPath: file });
    expect(JSON.stringify(opened)).not.toContain('s3cret');
    expect(opened.problems).toEqual({});
    const derp = { ...opened.derp, server: { ...opened.derp.server, region_id: 998 }, paths: ['a.yaml', 'b.yaml'] };
    const req = { configPath: file, derp, version: opened.version };
    const diff = await h['map.headscaleDerpDiff'](req);
    expect(diff).toContain('-    region_id: 999\n+    region_id: 998\n');
    // Hunks are numbered by the file's lines, as its header names the file, though only the section is diffed.
    const line = original.split('\n').indexOf('    region_id: 999') + 1;
    expect(diff).toContain(`\n@@ -${line - 2},5 +${line - 2},5 @@\n`);
    expect(diff).toContain('+    - a.yaml\n+    - b.yaml\n');
    expect(diff).not.toContain('s3cret');
    expect(diff).not.toContain('server_url');
    const saved = await h['map.headscaleDerpSave'](req);
    expect(saved).toMatchObject({ ok: true, backup: `${file}.bak` });
    const text = readFileSync(file, 'utf8');
    const derpAt = original.indexOf('derp:\n');
    expect(text.slice(0, derpAt)).toBe(original.slice(0, derpAt));
    expect(text.slice(text.indexOf('\ndns:\n'))).toBe(original.slice(original.indexOf('\ndns:\n')));
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(original);
    expect((await h['map.headscaleDerp']({ configPath: file })).derp.paths).toEqual(['a.yaml', 'b.yaml']);
  });

  it('refuses a section with problems, or a file changed since it was opened', async () => {
    const file = path.join(dir, 'hs-config2.yaml');
    writeFileSync(file, readFileSync(hsFixture, 'utf8'));
    const opened = await h['map.headscaleDerp']({ configPath: file });
    const bad = await h['map.headscaleDerpSave']({
      configPath: file,
      derp: { ...opened.derp, update_frequency: 'daily' },
      version: opened.version,
    });
    expect(bad).toEqual({
      ok: false,
      error: 'the derp section has 1 problem; fix them before saving',
      problems: { update_frequency: 'update_frequency "daily" is not a duration such as 24h, 1h30m or 90s' },
    });
    writeFileSync(file, readFileSync(hsFixture, 'utf8') + '# edited elsewhere\n');
    const stale = await h['map.headscaleDerpSave']({ configPath: file, derp: opened.derp, version: opened.version });
    expect(stale).toEqual({
      ok: false,
      error: `${file} changed on disk since it was opened; open it again (your edit would overwrite someone else's)`,
    });
  });
});
