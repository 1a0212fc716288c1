/**
 * The RFC 2544 search on its own: trials against a modelled forwarding device that delivers everything up to its
 * capacity and only the capacity beyond it, so the right answer is known.
 */
import { describe, expect, it } from 'vitest';
import { zeroLossSearch, type LoadFigure } from '../../bench/load.js';

function device(capacity: number) {
  const offered: number[] = [];
  const trial = async (pps: number): Promise<LoadFigure> => {
    offered.push(pps);
    const delivered = Math.min(1, capacity / pps);
    return {
      pairs: 8,
      size: 1200,
      offeredPps: pps,
      pps: pps * delivered,
      mbps: 0,
      delivered,
      relayCpuPct: 0,
      cpuSecPerGB: 0,
    };
  };
  return { trial, offered };
}

describe('zero-loss search', () => {
  it('grows past a low guess, then bisects to within 3% below the capacity', async () => {
    const d = device(300_000);
    const z = await zeroLossSearch(d.trial, 100_000);
    // 99% delivery is allowed: the true answer is capacity / 0.99.
    expect(z.best.offeredPps).toBeLessThanOrEqual(300_000 / 0.99);
    expect(z.best.offeredPps).toBeGreaterThan((300_000 / 0.99) * 0.97);
    expect(z.over.offeredPps).toBeCloseTo(z.best.offeredPps * 1.5);
    expect(z.over.delivered).toBeLessThan(0.7);
    expect(z.trials.length).toBe(d.offered.length);
    expect(d.offered.slice(0, 3)).toEqual([100_000, 150_000, 225_000]);
  });

  it('comes down from a guess above the capacity', async () => {
    const z = await zeroLossSearch(device(50_000).trial, 400_000);
    expect(z.best.offeredPps).toBeLessThanOrEqual(50_000 / 0.99);
    expect(z.best.offeredPps).toBeGreaterThan((50_000 / 0.99) * 0.97);
  });

  it('gives up, saying so, when even a tiny rate loses packets', async () => {
    const lossy = async (pps: number): Promise<LoadFigure> => ({
      pairs: 8,
      size: 100,
      offeredPps: pps,
      pps: pps / 2,
      mbps: 0,
      delivered: 0.5,
      relayCpuPct: 0,
      cpuSecPerGB: 0,
    });
    await expect(zeroLossSearch(lossy, 100_000)).rejects.toThrow(/no rate down to \d+ packets\/s delivered 99%/);
  });
});
