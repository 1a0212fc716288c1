/** Fetching a DERP map from a URL (e.g. Tailscale's /derpmap/default), bounded in time and size. */
import { MAX_MAP_BYTES } from '../../shared/limits.js';
import { mapWork } from '../app/map-work.js';
import type { LoadedMap } from './formats.js';
import { isTimeoutError } from '../../shared/errors.js';
import { readableError } from '../diagnostics/errors.js';

export interface FetchOptions {
  timeoutMs?: number;
  maxBytes?: number;
}

export class FetchMapError extends Error {}

export interface FetchedText {
  text: string;
  /** A file name that tells parseMap the format: the URL's path, or map.yaml when the server says YAML. */
  name: string;
}

export async function fetchMapText(url: string, opts: FetchOptions = {}): Promise<FetchedText> {
  const maxBytes = opts.maxBytes ?? MAX_MAP_BYTES;
  let res: Response;
  try {
    res = await fetch(url, {
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      headers: { Accept: 'application/json, application/yaml, */*' },
    });
  } catch (err) {
    // fetch() rejects with "fetch failed"; its cause holds the code ("getaddrinfo ENOTFOUND x"), said in words.
    const why = isTimeoutError(err) ? `no answer within ${(opts.timeoutMs ?? 10_000) / 1000} s` : readableError(err);
    throw new FetchMapError(`cannot fetch ${url}: ${why}`, { cause: err });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new FetchMapError(`cannot fetch ${url}: HTTP ${res.status} ${res.statusText}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > maxBytes)
      throw new FetchMapError(`cannot fetch ${url}: larger than ${maxBytes} bytes, which no DERP map is`);
    chunks.push(Buffer.from(chunk));
  }
  const path = new URL(url).pathname;
  const name = /\.ya?ml$/i.test(path)
    ? path
    : (res.headers.get('content-type') ?? '').includes('yaml')
      ? 'map.yaml'
      : path;
  return { text: Buffer.concat(chunks).toString('utf8'), name };
}

/** Fetches and parses a map; the parse runs in the map worker, off the relay's event loop. */
export async function fetchMap(url: string, opts: FetchOptions = {}): Promise<LoadedMap> {
  const { text, name } = await fetchMapText(url, opts);
  return mapWork().run('parse', text, name);
}
