/**
 * Architecture rules that keep the code testable without Electron: only the thin adapter (electron/main,
 * electron/preload) imports 'electron'; shared/ depends on nothing; the renderer uses no Node modules; the
 * sandboxed preload bundle requires nothing but 'electron'.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  const abs = path.join(root, dir);
  let out: string[] = [];
  for (const name of readdirSync(abs)) {
    const p = path.join(abs, name);
    if (statSync(p).isDirectory()) out = out.concat(sources(path.join(dir, name)));
    else if (/\.(ts|tsx)$/.test(name)) out.push(path.join(dir, name));
  }
  return out;
}

/** Module specifiers of import/export-from/require/dynamic import statements. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) specs.push(m[1]);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) specs.push(m[1]);
  for (const m of text.matchAll(/\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]);
  return specs;
}

describe('module boundaries', () => {
  it('only electron/main and electron/preload import electron', () => {
    const offenders = sources('electron')
      .concat(sources('shared'))
      .filter((f) => !f.startsWith('electron/main/') && !f.startsWith('electron/preload/'))
      .filter((f) => importsOf(f).includes('electron'));
    expect(offenders).toEqual([]);
  });

  it('shared/ imports only shared/', () => {
    const outside = sources('shared').flatMap((f) =>
      importsOf(f)
        .filter((spec) => !spec.startsWith('.') || !path.resolve(root, path.dirname(f), spec).startsWith(path.join(root, 'shared') + path.sep))
        .map((spec) => `${f}: ${spec}`),
    );
    expect(outside).toEqual([]);
  });

  it('the renderer imports no node: module and not electron', () => {
    const offenders = sources('renderer').flatMap((f) =>
      importsOf(f)
        .filter((s) => s.startsWith('node:') || s === 'electron' || ['fs', 'path', 'os', 'child_process', 'net'].includes(s))
        .map((s) => `${f}: ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the preload bundle is one CommonJS file that requires only electron', () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root });
    const bundle = readFileSync(path.join(root, 'dist/electron/preload.cjs'), 'utf8');
    const required = [...bundle.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    expect(bundle).not.toMatch(/^\s*(import|export)\s/m);
    expect(bundle).not.toMatch(/\bimport\(/);
  });
});
