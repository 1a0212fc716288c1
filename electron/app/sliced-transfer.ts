/**
 * Moving large plain values (maps, issue lists) between the main thread and the map worker without holding the
 * main thread: structured clone copies a 4 MiB map's tens of thousands of objects in one go (a 100-250 ms stall
 * for the relay), so values travel instead as small JSON pieces that the main thread writes or reads a
 * millisecond at a time, packed in one buffer that is handed over, not copied. Values are JSON data: undefined
 * properties are dropped and NaN becomes null.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

type Path = string[];
/** Where the value goes, the value, and whether its keys merge into what is already there. */
type Piece = [path: Path, value: unknown, merge: 0 | 1];
/**
 * A piece in transit: JSON text, or a long string as it is (a map's source text): copying a string between
 * threads is a memory copy, while JSON would scan and escape 4 MiB on the main thread.
 */
export type Encoded = string | [path: Path, text: string];

/** Values per piece: a piece takes well under a millisecond to write or read. */
const PIECE_VALUES = 256;
/** Strings from this length travel as they are. */
const RAW_STRING_CHARS = 16 * 1024;
/**
 * How long the main thread works between turns of its event loop. Short, because every turn runs one slice: a
 * DERP handshake needs several turns (one per round trip), so it waits for as many slices.
 */
const SLICE_MS = 1;

/** How many values `v` holds, counting stops once past `limit`; a long string alone is past it. */
function weightPast(v: unknown, limit: number): number {
  let n = 0;
  const stack: unknown[] = [v];
  while (stack.length > 0 && n <= limit) {
    const x = stack.pop();
    n += typeof x === 'string' && x.length >= RAW_STRING_CHARS ? limit + 1 : 1;
    if (typeof x === 'object' && x !== null) for (const child of Object.values(x)) stack.push(child);
  }
  return n;
}

/** Own property, even for a key named __proto__ (map keys come from users). */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function* walk(path: Path, v: unknown): Generator<Encoded> {
  if (typeof v === 'string' && v.length >= RAW_STRING_CHARS) {
    yield [path, v];
    return;
  }
  if (typeof v !== 'object' || v === null || weightPast(v, PIECE_VALUES) <= PIECE_VALUES) {
    yield JSON.stringify([path, v, 0] satisfies Piece);
    return;
  }
  yield JSON.stringify([path, Array.isArray(v) ? [] : {}, 0] satisfies Piece);
  let group: Record<string, unknown> = {};
  let groupWeight = 0;
  for (const [k, child] of Object.entries(v)) {
    const w = weightPast(child, PIECE_VALUES);
    if (w > PIECE_VALUES) {
      yield* walk([...path, k], child);
      continue;
    }
    if (groupWeight + w > PIECE_VALUES) {
      yield JSON.stringify([path, group, 1] satisfies Piece);
      group = {};
      groupWeight = 0;
    }
    put(group, k, child);
    groupWeight += w;
  }
  if (groupWeight > 0) yield JSON.stringify([path, group, 1] satisfies Piece);
}

/** Applies pieces in order; returns the value they rebuild. */
class Assembly {
  private root: unknown = undefined;

  add(piece: Encoded): void {
    const [path, value, merge] = typeof piece === 'string' ? (JSON.parse(piece) as Piece) : [piece[0], piece[1], 0];
    if (path.length === 0 && !merge) {
      this.root = value;
      return;
    }
    const at = merge ? path : path.slice(0, -1);
    let target = this.root as Record<string, unknown>;
    for (const k of at) target = target[k] as Record<string, unknown>;
    if (merge) for (const [k, x] of Object.entries(value as Record<string, unknown>)) put(target, k, x);
    else put(target, path[path.length - 1], value);
  }

  get value(): unknown {
    return this.root;
  }
}

/** Pieces in one transferable buffer: `spans` holds a kind (0 JSON, 1 raw string's path, 2 its text), start, end. */
export interface Packed {
  bytes: Uint8Array;
  spans: Uint32Array;
}

const JSON_SPAN = 0;
const RAW_PATH_SPAN = 1;
const RAW_TEXT_SPAN = 2;

function spansOf(pieces: Encoded[]): Array<[kind: number, text: string]> {
  return pieces.flatMap((p): Array<[number, string]> =>
    typeof p === 'string'
      ? [[JSON_SPAN, p]]
      : [
          [RAW_PATH_SPAN, JSON.stringify(p[0])],
          [RAW_TEXT_SPAN, p[1]],
        ],
  );
}

/** Writes pieces into one buffer, yielding after each so a caller can spread the work over turns. */
function* packSteps(pieces: Encoded[]): Generator<void, Packed> {
  const parts = spansOf(pieces);
  let total = 0;
  for (const [, text] of parts) total += Buffer.byteLength(text);
  // Its own ArrayBuffer (not the shared pool's), so it can be transferred.
  const bytes = Buffer.allocUnsafeSlow(total);
  const spans = new Uint32Array(parts.length * 3);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    const end = at + bytes.write(parts[i][1], at);
    spans.set([parts[i][0], at, end], i * 3);
    at = end;
    yield;
  }
  return { bytes, spans };
}

export function* unpack(packed: Packed): Generator<Encoded> {
  const bytes = Buffer.from(packed.bytes.buffer, packed.bytes.byteOffset, packed.bytes.byteLength);
  const { spans } = packed;
  for (let i = 0; i < spans.length; i += 3) {
    const text = bytes.toString('utf8', spans[i + 1], spans[i + 2]);
    if (spans[i] === JSON_SPAN) yield text;
    else if (spans[i] === RAW_PATH_SPAN) {
      i += 3;
      yield [JSON.parse(text) as Path, bytes.toString('utf8', spans[i + 1], spans[i + 2])];
    }
  }
}

/** The buffers to hand over with postMessage. */
export function transferList(packed: Packed): ArrayBuffer[] {
  return [packed.bytes.buffer as ArrayBuffer, packed.spans.buffer as ArrayBuffer];
}

export function pack(value: unknown): Packed {
  const steps = packSteps(toPieces(value));
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

export function toPieces(value: unknown): Encoded[] {
  return [...walk([], value)];
}

export function fromPieces(pieces: Iterable<Encoded>): unknown {
  const a = new Assembly();
  for (const p of pieces) a.add(p);
  return a.value;
}

/** toPieces, yielding to the event loop every few milliseconds. */
export async function toPiecesSliced(value: unknown): Promise<Encoded[]> {
  const out: Encoded[] = [];
  let sliceStart = performance.now();
  for (const p of walk([], value)) {
    out.push(p);
    if (performance.now() - sliceStart > SLICE_MS) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
  return out;
}

/** fromPieces, yielding to the event loop every few milliseconds. */
export async function fromPiecesSliced(pieces: Iterable<Encoded>): Promise<unknown> {
  const a = new Assembly();
  let sliceStart = performance.now();
  for (const p of pieces) {
    a.add(p);
    if (performance.now() - sliceStart > SLICE_MS) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
  return a.value;
}

/** pack, a millisecond at a time. */
export async function packSliced(value: unknown): Promise<Packed> {
  const steps = packSteps(await toPiecesSliced(value));
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart > SLICE_MS) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
}
