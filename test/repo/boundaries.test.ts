/**
 * Architecture rules that keep the code testable without Electron: only the thin adapter (electron/main,
 * electron/preload) imports 'electron'; shared/ depends on nothing; the renderer uses no Node modules; the
 * sandboxed preload bundle requires nothing but 'electron'. And the layers: no import cycles among electron/ and
 * shared/ modules, the protocol below the relay below the app below its entry points, the renderer on its own.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
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
        .filter(
          (spec) =>
            !spec.startsWith('.') ||
            !path.resolve(root, path.dirname(f), spec).startsWith(path.join(root, 'shared') + path.sep),
        )
        .map((spec) => `${f}: ${spec}`),
    );
    expect(outside).toEqual([]);
  });

  it('the renderer imports no node: module and not electron', () => {
    const offenders = sources('renderer').flatMap((f) =>
      importsOf(f)
        .filter(
          (s) => s.startsWith('node:') || s === 'electron' || ['fs', 'path', 'os', 'child_process', 'net'].includes(s),
        )
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

/** The repository-relative file a relative specifier names (`./x.js` is ./x.ts or ./x.tsx), or null for packages. */
function resolveImport(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = path.join(path.dirname(from), spec);
  const candidates = [
    base,
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.js$/, '.tsx'),
    `${base}.ts`,
    `${base}.tsx`,
    path.join(base, 'index.ts'),
  ];
  return candidates.find((c) => /\.tsx?$/.test(c) && existsSync(path.join(root, c))) ?? base;
}

function importGraph(dirs: string[]): Map<string, string[]> {
  const files = dirs.flatMap(sources);
  const known = new Set(files);
  return new Map(
    files.map((f) => [
      f,
      importsOf(f)
        .map((s) => resolveImport(f, s))
        .filter((t): t is string => t !== null && known.has(t)),
    ]),
  );
}

/** Strongly connected components with more than one module (or a module importing itself): the import cycles. */
function cycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's algorithm, iterative so that a deep import chain cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; edge: number }> = [{ node: start, edge: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1];
      const edges = graph.get(top.node)!;
      if (top.edge < edges.length) {
        const to = edges[top.edge++];
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, edge: 0 });
        } else if (onStack.has(to)) low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      if (work.length > 0)
        low.set(work[work.length - 1].node, Math.min(low.get(work[work.length - 1].node)!, low.get(top.node)!));
      if (low.get(top.node) === index.get(top.node)) {
        const scc: string[] = [];
        let m: string;
        do {
          m = stack.pop()!;
          onStack.delete(m);
          scc.push(m);
        } while (m !== top.node);
        if (scc.length > 1 || graph.get(top.node)!.includes(top.node)) out.push(scc.sort());
      }
    }
  }
  return out;
}

describe('layers', () => {
  it('the cycle finder finds cycles', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['d']],
      ['e', ['a']],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('no import cycles among electron/ and shared/ modules', () => {
    expect(cycles(importGraph(['electron', 'shared']))).toEqual([]);
  });

  const layering: Array<[from: string, mayNotImport: string[]]> = [
    ['electron/derp/', ['electron/relay/', 'electron/app/']],
    ['electron/relay/', ['electron/app/', 'electron/headless/', 'electron/main/', 'electron/cli/']],
    ['electron/app/', ['electron/headless/', 'electron/main/', 'electron/cli/']],
  ];
  it.each(layering)('%s imports none of %j', (from, banned) => {
    const graph = importGraph(['electron', 'shared']);
    const offenders = [...graph]
      .filter(([f]) => f.startsWith(from))
      .flatMap(([f, to]) => to.filter((t) => banned.some((b) => t.startsWith(b))).map((t) => `${f} -> ${t}`));
    expect(offenders).toEqual([]);
  });

  it('the renderer imports only renderer/ and shared/ modules (and packages)', () => {
    const offenders = sources('renderer').flatMap((f) =>
      importsOf(f)
        .map((s) => resolveImport(f, s))
        .filter((t): t is string => t !== null && !t.startsWith('renderer/') && !t.startsWith('shared/'))
        .map((t) => `${f} -> ${t}`),
    );
    expect(offenders).toEqual([]);
  });
});
