/**
 * One way to the API in the renderer: only the feature stores (renderer/src/<feature>/store.ts and the shared
 * file-dialog store) call it or listen to its events; components call store actions.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const src = path.join(root, 'renderer/src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(name) ? [p] : [];
  });
}

describe('renderer API access', () => {
  it('no component calls the API or subscribes to its events', () => {
    const offenders = files(src)
      .filter((f) => f.endsWith('.tsx'))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${path.relative(root, f)}:${i + 1}` }))
          .filter(({ line }) => /\bapi[?!]?\.(call|on)\(/.test(line))
          .map(({ at }) => at),
      );
    expect(offenders).toEqual([]);
  });
});
