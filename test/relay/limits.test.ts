/** Rate limits measured on real sockets: per-client receive pacing (mesh exempt), global pacing, accept limit. */
import { describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { MIN_RATE_BURST, normalizeRateConfig } from '../../electron/relay/rate-config.js';
import { eventually, startRelay } from '../helpers/relay.js';

/**
 * Sends `total` bytes in 1000-byte packets from a fresh client and returns how long until all arrived (s). An
 * unpaced burst must fit the receiver's write budget (256 KiB) or the relay rightly drops the oldest.
 */
async function transferSeconds(url: string, total: number, meshKey?: string): Promise<number> {
  const tx = await DerpClient.connect({ url, meshKey });
  const rx = await DerpClient.connect({ url });
  let got = 0;
  rx.onPacket = (_s, p) => void (got += p.length);
  const t0 = performance.now();
  const pkt = Buffer.alloc(1000, 1);
  for (let sent = 0; sent < total; sent += pkt.length) tx.send(rx.publicKey, pkt);
  await eventually(() => got >= total, 15_000, `${total} bytes`);
  tx.close();
  rx.close();
  return (performance.now() - t0) / 1000;
}

describe('rate limits', () => {
  it('normalises a config the way derper does', () => {
    expect(
      normalizeRateConfig({ PerClientRateLimitBytesPerSec: 0, GlobalRateLimitBytesPerSec: 5 })
        .GlobalRateLimitBytesPerSec,
    ).toBe(0);
    const r = normalizeRateConfig({
      PerClientRateLimitBytesPerSec: 1000,
      PerClientRateBurstBytes: 10,
      GlobalRateLimitBytesPerSec: 10,
    });
    expect(r).toEqual({
      PerClientRateLimitBytesPerSec: 1000,
      PerClientRateBurstBytes: MIN_RATE_BURST,
      GlobalRateLimitBytesPerSec: 1000,
      GlobalRateBurstBytes: MIN_RATE_BURST,
    });
  });

  it('paces a client to its per-client rate without dropping, and leaves mesh peers alone', async () => {
    const meshKey = 'ab'.repeat(32);
    const rate = 200_000;
    const relay = await startRelay({
      meshKey,
      rateConfig: { PerClientRateLimitBytesPerSec: rate, PerClientRateBurstBytes: 0 },
    });
    try {
      const total = 600_000;
      const limited = await transferSeconds(relay.url, total);
      // Burst (one frame) then the rate: (600000 - 65568) / 200000 = 2.7 s.
      const expected = (total - MIN_RATE_BURST) / rate;
      expect(limited).toBeGreaterThan(expected * 0.8);
      expect(limited).toBeLessThan(expected * 1.6);
      expect(relay.service.derp.stats().counters.rateLimitPerClientWaited).toBeGreaterThan(0);
      expect(relay.service.derp.stats().counters.packetsDropped).toBe(0);
      // 200 KB would take at least (200000 - 65568) / 200000 = 0.67 s if the mesh peer were limited.
      const mesh = await transferSeconds(relay.url, 200_000, meshKey);
      expect(mesh).toBeLessThan(0.3);
    } finally {
      await relay.stop();
    }
  });

  it('applies a new config without a restart', async () => {
    const relay = await startRelay();
    try {
      const fast = await transferSeconds(relay.url, 200_000);
      relay.service.derp.setRateLimits({ PerClientRateLimitBytesPerSec: 100_000 });
      const slow = await transferSeconds(relay.url, 200_000);
      expect(slow).toBeGreaterThan(1.0);
      expect(fast).toBeLessThan(slow / 3);
    } finally {
      await relay.stop();
    }
  });

  it('closes connections beyond -accept-connection-limit/-burst', async () => {
    const relay = await startRelay({ acceptLimit: { perSecond: 1, burst: 2 } });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => DerpClient.connect({ url: relay.url, timeoutMs: 2000 })),
      );
      expect(results.filter((r) => r.status === 'fulfilled').length).toBe(2);
      expect(relay.service.derp.stats().counters.acceptsRateLimited).toBe(3);
      for (const r of results) if (r.status === 'fulfilled') r.value.close();
    } finally {
      await relay.stop();
    }
  });
});
