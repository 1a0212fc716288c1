/**
 * What the packaged desktop app promises before it ever runs: the Electron fuses electron-builder flips, and the
 * Content-Security-Policy the built page carries (the page the app loads from file://, where no header can set one).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { workerFileBeside } from '../../electron/app/map-work.js';

const root = path.resolve(import.meta.dirname, '../..');

function builderConfig(): { asar?: boolean; asarUnpack?: string[]; electronFuses?: Record<string, boolean> } {
  return parse(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8'));
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
});
