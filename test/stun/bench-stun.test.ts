/** The STUN side-by-side benchmark without coturn: the row says why instead of the benchmark failing. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareStun, coturnStun } from '../../bench/stun.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-stun-bench-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('STUN benchmark', () => {
  it('reports coturn as not installed when turnserver is not on PATH, and still makes its table', async () => {
    const saved = process.env.PATH;
    process.env.PATH = tmp;
    try {
      const coturn = coturnStun();
      expect(coturn).toEqual({ name: 'coturn', absent: expect.stringContaining('not installed') });
      const r = await compareStun(tmp, [coturn], 100, 1);
      expect(r.rows).toEqual([
        {
          server: 'coturn',
          'answers/s': expect.stringContaining('not installed'),
          ratio: '-',
          'relay CPU': '-',
          'answers per CPU-second': '-',
        },
      ]);
    } finally {
      process.env.PATH = saved;
    }
  });

  it('finds coturn where scripts/install-deps.sh puts it', () => {
    expect(coturnStun()).toEqual({ name: 'coturn', start: expect.any(Function) });
  });
});
