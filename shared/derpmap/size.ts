/** The size check every map text passes before it reaches a parser or a diff: shared so the renderer can say it first. */
import { MAX_MAP_BYTES } from '../limits.js';
import { utf8Length } from '../utf8.js';

function mib(bytes: number): string {
  const v = bytes / (1024 * 1024);
  return `${Number.isInteger(v) ? v : v.toFixed(1)} MiB`;
}

/**
 * Null when `text` is small enough to be a DERP map, else the message that says so and what to check. Node passes
 * Buffer.byteLength, which is native: counting 4 MiB here takes the event loop some 20 ms.
 */
export function mapSizeProblem(
  text: string,
  what = 'the map',
  maxBytes = MAX_MAP_BYTES,
  byteLength: (text: string) => number = utf8Length,
): string | null {
  // UTF-8 never takes fewer bytes than UTF-16 code units, nor more than three per unit.
  if (text.length * 3 <= maxBytes) return null;
  const bytes = byteLength(text);
  if (bytes <= maxBytes) return null;
  // Just over the limit, rounded MiB would read as the limit itself.
  const size =
    (bytes / (1024 * 1024)).toFixed(1) === (maxBytes / (1024 * 1024)).toFixed(1) ? `${bytes} bytes` : mib(bytes);
  return `${what} is ${size}; a DERP map is at most ${mib(maxBytes)} — is this the right file?`;
}
