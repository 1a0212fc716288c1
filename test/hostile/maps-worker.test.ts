/** The map worker: jobs off the main thread, one at a time, bounded in queue, time and memory, with clear errors. */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MapWork, MapWorkError, defaultWorkerFile } from '../../electron/app/map-work.js';
import {
  fromPieces,
  fromPiecesSliced,
  pack,
  packSliced,
  toPieces,
  toPiecesSliced,
  unpack,
} from '../../electron/app/sliced-transfer.js';
import { MapParseError } from '../../electron/derpmap/formats.js';
import { MAX_MAP_BYTES } from '../../shared/limits.js';
import { bigDerpYaml } from '../derpmap/big-map.js';

const dist = path.resolve(import.meta.dirname, '../../dist');
const small =
  '{"Regions":{"900":{"RegionID":900,"RegionCode":"x","RegionName":"X","Nodes":[{"Name":"a","RegionID":900,"HostName":"x.example.com"}]}}}';
const pools: MapWork[] = [];
function pool(opts: ConstructorParameters<typeof MapWork>[0] = {}): MapWork {
  const p = new MapWork(opts);
  pools.push(p);
  return p;
}
afterAll(() => Promise.all(pools.map((p) => p.close())));

describe('sliced transfer', () => {
  it('rebuilds values piece by piece, large or small', async () => {
    const big = {
      a: Array.from({ length: 5000 }, (_, i) => ({ i, s: `v${i}`, n: [i, { deep: true }] })),
      b: 'x'.repeat(100_000),
      c: null,
      d: { e: {} },
    };
    const pieces = toPieces(big);
    expect(pieces.length).toBeGreaterThan(50);
    expect(fromPieces(pieces)).toEqual(big);
    expect(await fromPiecesSliced(await toPiecesSliced(big))).toEqual(big);
    for (const v of ['text', 42, null, [], {}, [1, [2, [3]]]]) expect(fromPieces(toPieces(v))).toEqual(v);
  });

  it('passes long strings as they are, not as JSON', () => {
    const text = 'regions:\n'.repeat(100_000);
    const pieces = toPieces([text, 'derp.yaml']);
    expect(pieces).toContainEqual([['0'], text]);
    expect(fromPieces(pieces)).toEqual([text, 'derp.yaml']);
    expect(fromPieces(toPieces(text))).toBe(text);
  });

  it('packs pieces into one transferable buffer, multi-byte text included', async () => {
    const value = {
      map: { Regions: { '900': { RegionName: 'Zürich — 東京 🚀' } } },
      text: 'ü'.repeat(20_000) + '🚀',
      list: Array.from({ length: 3000 }, (_, i) => `é${i}`),
    };
    expect(fromPieces(unpack(pack(value)))).toEqual(value);
    const packed = await packSliced(value);
    expect(packed.bytes.buffer.byteLength).toBe(packed.bytes.byteLength);
    expect(await fromPiecesSliced(unpack(packed))).toEqual(value);
  });

  it('keeps a key named __proto__ as data, not as a prototype', () => {
    const value = JSON.parse(
      `{"Regions":{"__proto__":{"polluted":true}},"list":[${Array(600).fill('{"__proto__":{"x":1}}').join(',')}]}`,
    );
    const back = fromPieces(toPieces(value)) as Record<string, Record<string, unknown>>;
    expect(Object.keys(back.Regions)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(back.Regions)).toBe(Object.prototype);
  });
});

describe('map worker', () => {
  it('is found beside the bundle, or from the sources in the last build', () => {
    expect(defaultWorkerFile()).toBe(path.join(dist, 'map-worker.mjs'));
  });

  it('runs jobs in the ES module and the CommonJS (Electron) bundle alike', async () => {
    for (const workerFile of [path.join(dist, 'map-worker.mjs'), path.join(dist, 'electron', 'map-worker.cjs')]) {
      const opened = await pool({ workerFile }).run('open', small, 'm.json');
      expect(opened).toMatchObject({ format: 'json', map: { Regions: { '900': { RegionCode: 'x' } } } });
    }
  });

  it('passes parse errors back as MapParseError with their position', async () => {
    const err = await pool()
      .run('open', 'regions:\n  900: [\n', 'derp.yaml')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MapParseError);
    expect(err).toMatchObject({ line: 3, message: expect.stringMatching(/^derp\.yaml:3:\d+: /) });
  });

  it('stops a job that overruns its time, and serves the next one with a fresh worker', async () => {
    const p = pool({ timeoutMs: 2000 });
    const slow = p.run('open', bigDerpYaml(MAX_MAP_BYTES - 1), 'derp.yaml');
    const next = p.run('open', small, 'm.json');
    await expect(slow).rejects.toThrow(
      'the map open job took longer than 2 s and was stopped; the map is too large or too complex',
    );
    await expect(next).resolves.toMatchObject({ format: 'json' });
  });

  it('refuses jobs beyond its queue instead of piling them up', async () => {
    const p = pool({ maxQueued: 1 });
    const first = p.run('open', small, 'a.json');
    const second = p.run('open', small, 'b.json');
    await expect(p.run('open', small, 'c.json')).rejects.toThrow(
      new MapWorkError('the map worker already has 1 jobs waiting; try again when they finish'),
    );
    await expect(Promise.all([first, second])).resolves.toHaveLength(2);
  });

  it('fails a job that needs more memory than the worker may use, and recovers', async () => {
    const p = pool({ maxHeapMb: 16 });
    await expect(p.run('open', bigDerpYaml(MAX_MAP_BYTES - 1), 'derp.yaml')).rejects.toThrow(
      'the map open job needed more than 16 MB; the map is too large or too complex',
    );
    await expect(p.run('open', small, 'm.json')).resolves.toMatchObject({ format: 'json' });
  });

  it('says how to get the worker when its bundle is missing', async () => {
    await expect(pool({ workerFile: '/nonexistent/map-worker.mjs' }).run('open', small, 'm.json')).rejects.toThrow(
      'the map worker /nonexistent/map-worker.mjs is missing; build it with node scripts/build.mjs',
    );
  });
});
