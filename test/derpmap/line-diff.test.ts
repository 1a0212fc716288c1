/** The save preview's diff: unified format from a Myers diff, bounded for large unrelated texts. */
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../electron/util/line-diff.js';
import { bigDerpYaml } from './big-map.js';
import { MAX_MAP_BYTES } from '../../shared/limits.js';

describe('unifiedDiff', () => {
  it('numbers hunks and empty ranges as unified diff does', () => {
    expect(unifiedDiff('a\nb\nc\n', 'a\nb\nc\nd\n', 'f', 1)).toBe('--- f\n+++ f\n@@ -3,1 +3,2 @@\n c\n+d\n');
    expect(unifiedDiff('', 'a\n', 'f')).toBe('--- f\n+++ f\n@@ -0,0 +1,1 @@\n+a\n');
    expect(unifiedDiff('a\n', 'a', 'f')).toBe('--- f\n+++ f\n@@ -1,1 +1,1 @@\n-a\n+a\n\\ No newline at end of file\n');
  });

  it('diffs one edit in a map at the size limit in linear-ish time', () => {
    const before = bigDerpYaml(MAX_MAP_BYTES - 1);
    const after = before.replace('hostname: derp-5000-a.example.com', 'hostname: moved.example.com');
    const started = performance.now();
    const d = unifiedDiff(before, after, 'derp.yaml');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(d).toContain('-        hostname: derp-5000-a.example.com\n+        hostname: moved.example.com\n');
    expect(d.split('\n@@ ').length).toBe(2);
  });

  it('summarises two unrelated texts instead of searching for minutes', () => {
    const before = bigDerpYaml(MAX_MAP_BYTES - 1, 'one');
    const after = bigDerpYaml(MAX_MAP_BYTES - 1, 'two');
    const started = performance.now();
    const d = unifiedDiff(before, after, 'derp.yaml', 2, { maxChangedLines: 1000 });
    expect(performance.now() - started).toBeLessThan(5_000);
    const lines = before.split('\n').length - 1;
    expect(d).toBe(
      `--- derp.yaml\n+++ derp.yaml\nthe files differ throughout (${lines} lines removed, ${lines} added): too many changes to list line by line\n`,
    );
  });

  it('stops at its time limit however few changes it was allowed', () => {
    const before = bigDerpYaml(MAX_MAP_BYTES - 1, 'one');
    const after = bigDerpYaml(MAX_MAP_BYTES - 1, 'two');
    const started = performance.now();
    expect(unifiedDiff(before, after, 'derp.yaml', 2, { maxChangedLines: 1e9, timeoutMs: 200 })).toContain(
      'the files differ throughout',
    );
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('refuses input over the map size limit before diffing', () => {
    expect(() => unifiedDiff('x'.repeat(MAX_MAP_BYTES + 1), '')).toThrow(
      'the text before the change is 4194305 bytes; a DERP map is at most 4 MiB — is this the right file?',
    );
  });
});
