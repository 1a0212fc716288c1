import { describe, expect, it } from 'vitest';
import { sortAndFilter } from '../../renderer/src/components/PeersTable.js';
import { formatAgo, formatBytes, formatCount, shortNodeKey } from '../../renderer/src/format.js';
import { PeerRates, SampleRing, type PeerRow } from '../../renderer/src/store/relay.js';
import type { StatsSample } from '../../shared/api.js';
import { peer } from './fake-api.js';

const sample = (t: number): StatsSample => ({ t, bytesInPerSec: t, bytesOutPerSec: 0, packetsInPerSec: 0, packetsOutPerSec: 0, dropsPerSec: 0, clients: 0, stunPerSec: 0 });
describe('dashboard data', () => {
  it('keeps the last 300 samples, oldest first', () => {
    const ring = new SampleRing();
    let out: StatsSample[] = [];
    for (let i = 0; i < 500; i++) out = ring.push(sample(i));
    expect(out.length).toBe(300);
    expect(out[0].t).toBe(200);
    expect(ring.reset([sample(1), sample(2)]).map((s) => s.t)).toEqual([1, 2]);
  });

  it('computes per-peer byte rates from successive snapshots, by connection id', () => {
    const rates = new PeerRates();
    expect(rates.apply([peer(1)], 0)[0].rate).toBe(0);
    const next = rates.apply([peer(1, { bytesIn: 10 + 3000, bytesOut: 20 + 1000 }), peer(2)], 2000);
    expect(next.map((p) => p.rate)).toEqual([2000, 0]);
  });

  it('sorts by any column and filters by key or address', () => {
    const rows: PeerRow[] = [peer(3), peer(1), peer(2)].map((p) => ({ ...p, rate: p.id * 5 }));
    expect(sortAndFilter(rows, '', 'rate', true).map((p) => p.id)).toEqual([3, 2, 1]);
    expect(sortAndFilter(rows, '', 'connectedAt', false).map((p) => p.id)).toEqual([1, 2, 3]);
    expect(sortAndFilter(rows, '10.0.0.2:', 'connectedAt', false).map((p) => p.id)).toEqual([2]);
    expect(sortAndFilter(rows, '0003', 'key', false).map((p) => p.id)).toEqual([3]);
  });

  it('formats sizes, counts, ages and keys', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.54 KB');
    expect(formatBytes(123_456_789)).toBe('123.5 MB');
    expect(formatCount(2500)).toBe('2.5k');
    expect(formatAgo(0, 3_725_000)).toBe('1h 2m ago');
    expect(shortNodeKey('nodekey:' + 'a'.repeat(64))).toBe('nodekey:aaaaaaaa…');
  });
});
