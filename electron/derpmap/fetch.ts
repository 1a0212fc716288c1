/** Fetching a DERP map from a URL (e.g. Tailscale's /derpmap/default), bounded in time and size. */
import type { LoadedMap } from './formats.js';
import { parseMap } from './formats.js';

export interface FetchOptions {
  timeoutMs?: number;
  maxBytes?: number;
}

export class FetchMapError extends Error {}

export async function fetchMap(url: string, opts: FetchOptions = {}): Promise<LoadedMap> {
  const maxBytes = opts.maxBytes ?? 4 << 20;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000), headers: { Accept: 'application/json, application/yaml, */*' } });
  } catch (err) {
    const why = (err as Error).name === 'TimeoutError' ? `no answer within ${(opts.timeoutMs ?? 10_000) / 1000} s` : ((err as Error & { cause?: Error }).cause?.message ?? (err as Error).message);
    throw new FetchMapError(`cannot fetch ${url}: ${why}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new FetchMapError(`cannot fetch ${url}: HTTP ${res.status} ${res.statusText}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > maxBytes) throw new FetchMapError(`cannot fetch ${url}: larger than ${maxBytes} bytes, which no DERP map is`);
    chunks.push(Buffer.from(chunk));
  }
  const name = new URL(url).pathname;
  return parseMap(Buffer.concat(chunks).toString('utf8'), /\.ya?ml$/i.test(name) ? name : (res.headers.get('content-type') ?? '').includes('yaml') ? 'map.yaml' : name);
}
