/**
 * What the packaged desktop app promises before it ever runs: the Electron fuses electron-builder flips, and the
 * Content-Security-Policy the built page carries (the page the app loads from file://, where no header can set one).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { workerFileBeside } from '../../electron/app/map-work.js';
import { trayIconPath, type TrayStatus } from '../../electron/main/tray.js';

const root = path.resolve(import.meta.dirname, '../..');

interface BuilderConfig {
  asar?: boolean;
  asarUnpack?: string[];
  electronFuses?: Record<string, boolean>;
  files?: string[];
  icon?: string;
  linux?: { target?: string[]; icon?: string };
  mac?: { target?: string[]; icon?: string };
  win?: { target?: string[]; icon?: string };
}

function builderConfig(): BuilderConfig {
  return parse(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8'));
}

/** A PNG's width and height, from its IHDR chunk. */
function pngSize(file: string): [number, number] {
  const b = readFileSync(file);
  expect(b.subarray(1, 4).toString(), `${file} is not a PNG`).toBe('PNG');
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

function directives(policy: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out.set(name, values);
  }
  return out;
}

describe('packaging', () => {
  it('flips the fuses that stop the app being used as a Node runtime or debugged into', () => {
    const cfg = builderConfig();
    expect(cfg.asar).toBe(true);
    expect(cfg.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('builds a page that may connect only to its own origin and load only its own scripts', () => {
    const built = path.join(root, 'dist/renderer/index.html');
    const file = existsSync(built) ? built : path.join(root, 'renderer/index.html');
    const html = readFileSync(file, 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta, `${file} has no CSP meta tag`).not.toBeNull();
    const csp = directives(meta![1]);
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('form-action')).toEqual(["'none'"]);
  });

  it('unpacks a self-contained map worker beside app.asar, where the main process looks for it', () => {
    expect(builderConfig().asarUnpack).toContain('dist/electron/map-worker.cjs');
    expect(workerFileBeside('/opt/derpdesk/resources/app.asar/dist/electron/main.cjs')).toBe(
      '/opt/derpdesk/resources/app.asar.unpacked/dist/electron/map-worker.cjs',
    );
    expect(workerFileBeside('/work/derpdesk/dist/cli.mjs')).toBe('/work/derpdesk/dist/map-worker.mjs');
    const worker = readFileSync(path.join(root, 'dist/electron/map-worker.cjs'), 'utf8');
    const required = [...worker.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(required.filter((r) => !isBuiltin(r))).toEqual([]);
  });

  it('is a configuration electron-builder itself accepts', async () => {
    const require = createRequire(import.meta.url);
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
      validateConfiguration(c: unknown, log: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration(builderConfig(), new DebugLogger(false))).resolves.toBeUndefined();
    await expect(
      validateConfiguration({ ...builderConfig(), linux: { notAnOption: 1 } }, new DebugLogger(false)),
    ).rejects.toThrow('Invalid configuration');
  }, 60_000);

  it('builds AppImage and deb, dmg and nsis installers, with icons of every size rendered from one SVG', () => {
    const cfg = builderConfig();
    expect([cfg.linux?.target, cfg.mac?.target, cfg.win?.target]).toEqual([['AppImage', 'deb'], ['dmg'], ['nsis']]);
    expect(existsSync(path.join(root, 'build/icon.svg'))).toBe(true);
    expect(pngSize(path.join(root, cfg.icon!))).toEqual([1024, 1024]);
    expect(cfg.mac?.icon).toBe(cfg.icon);
    expect(cfg.win?.icon).toBe(cfg.icon);
    for (const n of [16, 24, 32, 48, 64, 128, 256, 512, 1024])
      expect(pngSize(path.join(root, cfg.linux!.icon!, `${n}x${n}.png`))).toEqual([n, n]);
  });

  it('ships the tray icons for every relay state and taskbar where the main process loads them', () => {
    const cfg = builderConfig();
    expect(cfg.files).toContain('build/tray/**');
    // electron/main/index.ts: the tray icons sit two folders up from the bundled main.cjs (dist/electron).
    const iconDir = path.join(root, 'dist', 'electron', '..', '..', 'build', 'tray');
    const statuses: TrayStatus[] = ['stopped', 'running', 'failing'];
    for (const status of statuses)
      for (const dark of [false, true]) {
        const file = trayIconPath(iconDir, status, dark);
        expect(pngSize(file)).toEqual([16, 16]);
        expect(pngSize(file.replace(/\.png$/, '@2x.png'))).toEqual([32, 32]);
      }
    const main = readFileSync(path.join(root, 'electron/main/index.ts'), 'utf8');
    expect(main).toContain("path.join(__dirname, '..', '..', 'build', 'tray')");
  });

  it('documents npm run package', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.package).toBe('npm run build && electron-builder');
    expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toContain('npm run package');
  });
});
