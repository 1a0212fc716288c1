/**
 * derper's -rate-config file: per-client (and optional global) receive rate limits in bytes, applied by pacing
 * reads so that TCP back-pressure slows the sender. Mesh peers are exempt.
 */
import { KEY_LEN, MAX_PACKET_SIZE } from '../derp/frames.js';
import { MAX_SMALL_FILE_BYTES, readTextFileBounded } from '../util/read-bounded.js';
import { errorMessage } from '../../shared/errors.js';

export interface RateConfig {
  PerClientRateLimitBytesPerSec?: number;
  PerClientRateBurstBytes?: number;
  GlobalRateLimitBytesPerSec?: number;
  GlobalRateBurstBytes?: number;
}

/** A bucket must hold at least one maximal frame, or a large packet could never pass. */
export const MIN_RATE_BURST = MAX_PACKET_SIZE + KEY_LEN;

/** The config as derper applies it: per-client 0 disables everything; bursts raised to a frame; global >= per-client. */
export function normalizeRateConfig(rc: RateConfig): Required<RateConfig> {
  const per = rc.PerClientRateLimitBytesPerSec ?? 0;
  if (per <= 0)
    return {
      PerClientRateLimitBytesPerSec: 0,
      PerClientRateBurstBytes: 0,
      GlobalRateLimitBytesPerSec: 0,
      GlobalRateBurstBytes: 0,
    };
  const global = rc.GlobalRateLimitBytesPerSec ?? 0;
  return {
    PerClientRateLimitBytesPerSec: per,
    PerClientRateBurstBytes: Math.max(rc.PerClientRateBurstBytes ?? 0, MIN_RATE_BURST),
    GlobalRateLimitBytesPerSec: global > 0 ? Math.max(global, per) : 0,
    GlobalRateBurstBytes: global > 0 ? Math.max(rc.GlobalRateBurstBytes ?? 0, MIN_RATE_BURST) : 0,
  };
}

export async function loadRateConfig(file: string): Promise<Required<RateConfig>> {
  const text = await readTextFileBounded(file, MAX_SMALL_FILE_BYTES);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${errorMessage(err)})`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${file}: expected a JSON object`);
  const rc = parsed as Record<string, unknown>;
  for (const k of [
    'PerClientRateLimitBytesPerSec',
    'PerClientRateBurstBytes',
    'GlobalRateLimitBytesPerSec',
    'GlobalRateBurstBytes',
  ]) {
    if (rc[k] !== undefined && (typeof rc[k] !== 'number' || (rc[k] as number) < 0))
      throw new Error(`${file}: ${k} must be a non-negative number`);
  }
  return normalizeRateConfig(rc as RateConfig);
}
