/**
 * What the packaged desktop app promises before it ever runs: the Electron fuses electron-builder flips, and the
 * Content-Security-Policy the built page carries (the page the app loads from file://, where no header can set one).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');

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
    const cfg = parse(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as { asar?: boolean; electronFuses?: Record<string, boolean> };
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
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html);
    expect(meta, `${file} has no CSP meta tag`).not.toBeNull();
    const csp = directives(meta![1]);
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('form-action')).toEqual(["'none'"]);
  });
});
