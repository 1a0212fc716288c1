/** Hostile map text is refused quickly, with a message that says what is wrong, never a stack trace. */
import { describe, expect, it } from 'vitest';
import { MapParseError, parseMap } from '../../electron/derpmap/formats.js';
import { parseHeadscaleConfig } from '../../electron/derpmap/headscale-config.js';
import { MAX_MAP_BYTES } from '../../shared/limits.js';
import { mapSizeProblem } from '../../shared/derpmap/size.js';

function billionLaughs(levels: number): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < levels; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return lines.join('\n') + '\n';
}

function timed<T>(f: () => T): { ms: number; error: unknown } {
  const started = performance.now();
  let error: unknown = null;
  try {
    f();
  } catch (err) {
    error = err;
  }
  return { ms: performance.now() - started, error };
}

describe('map size limit', () => {
  it('says how large the text is and what the limit is', () => {
    expect(mapSizeProblem('x'.repeat(MAX_MAP_BYTES))).toBeNull();
    expect(mapSizeProblem('x'.repeat(Math.round(10.2 * 1024 * 1024)))).toBe(
      'the map is 10.2 MiB; a DERP map is at most 4 MiB — is this the right file?',
    );
    // UTF-8 counts: 1.5 Mi three-byte characters are 4.5 MiB.
    expect(mapSizeProblem('€'.repeat(1.5 * 1024 * 1024), 'pasted text')).toBe(
      'pasted text is 4.5 MiB; a DERP map is at most 4 MiB — is this the right file?',
    );
  });

  it('refuses an oversized map before parsing it, in either format', () => {
    const big = `{"Regions":{}, "pad": "${'x'.repeat(MAX_MAP_BYTES)}"}`;
    expect(() => parseMap(big)).toThrow(/^the map is 4\.0 MiB|^the map is 4194\d+ bytes/);
    expect(() => parseMap(`pad: ${'x'.repeat(MAX_MAP_BYTES)}`, 'derp.yaml')).toThrow(MapParseError);
    expect(() => parseHeadscaleConfig(`pad: ${'x'.repeat(MAX_MAP_BYTES)}`)).toThrow('a DERP map is at most 4 MiB');
  });
});

describe('YAML resource limits', () => {
  it('names an alias bomb as one instead of expanding it', () => {
    const { ms, error } = timed(() => parseMap(billionLaughs(9), 'derp.yaml'));
    expect(error).toBeInstanceOf(MapParseError);
    expect((error as Error).message).toBe(
      'derp.yaml: YAML aliases expand more than 100 times — is this a YAML alias bomb?',
    );
    expect(ms).toBeLessThan(1000);
    expect(() => parseHeadscaleConfig(billionLaughs(9))).toThrow('is this a YAML alias bomb?');
  });

  it('refuses thousands of anchors, whose resolution would be quadratic', () => {
    const text =
      'regions:\n' + Array.from({ length: 100_000 }, (_, i) => `  k${i}: &a${i} ${i}\n  j${i}: *a${i}\n`).join('');
    const { ms, error } = timed(() => parseMap(text, 'derp.yaml'));
    expect((error as Error).message).toBe(
      'derp.yaml: more than 1000 YAML anchors and aliases; a DERP map needs a handful — is this a YAML alias bomb?',
    );
    expect(ms).toBeLessThan(15_000);
  });

  it('still allows a few shared defaults', () => {
    const text =
      'regions:\n  900:\n    regionid: &id 900\n    nodes:\n      - {name: a, regionid: *id, hostname: a.example.com}\n      - {name: b, regionid: *id, hostname: b.example.com}\n';
    expect(parseMap(text, 'derp.yaml').map.Regions['900'].Nodes.map((n) => n.RegionID)).toEqual([900, 900]);
  });

  it('finds duplicate keys in linear time, with their position', () => {
    // yaml's own uniqueKeys compares every key with every earlier one: 40,000 keys took 8 s, 100,000 would take a minute.
    const keys = Array.from({ length: 100_000 }, (_, i) => `  k${i}: 1\n`).join('');
    const { ms, error } = timed(() => parseMap(`regions: {}\nextra:\n${keys}  k7: 2\n`, 'derp.yaml'));
    expect((error as Error).message).toBe('derp.yaml:100003:3: duplicate key "k7"');
    expect(ms).toBeLessThan(15_000);
  });

  it('reports the first error of a long broken line without quadratic pretty-printing', () => {
    const { ms, error } = timed(() => parseMap('{' + '"a": '.repeat(200_000), 'derp.yaml'));
    expect((error as Error).message).toMatch(/^derp\.yaml:1:\d+: /);
    expect((error as Error).message.length).toBeLessThan(200);
    expect(ms).toBeLessThan(15_000);
  });

  it('reports nesting too deep for the parser as an error in the file', () => {
    expect(() => parseMap('['.repeat(100_000) + ']'.repeat(100_000), 'derp.yaml')).toThrow(MapParseError);
  });
});
