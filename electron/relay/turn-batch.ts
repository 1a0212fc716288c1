/**
 * The packets a receiver gets in one event-loop turn, kept as references to the bytes they arrived in until the
 * turn's flush encodes them as RecvPacket frames into a single buffer: one allocation and one write per receiver per
 * turn instead of one allocation (and one buffered write) per packet.
 *
 * Holding references until the flush is safe because nothing reuses those bytes: a socket hands out a fresh chunk
 * per read and FrameReader never reuses a buffer it has handed out. The flush comes at the end of the same turn (or
 * earlier, at EARLY_FLUSH_BYTES), so a batch pins its read chunks for one turn at most; packets that must wait longer
 * (a backed-up receiver) are copied into their own frames and go to the rings instead.
 */
import { FRAME_HEADER_LEN, FrameType, KEY_LEN, writeFrameHeader } from '../derp/frames.js';

/** What a RecvPacket frame adds to its packet: the frame header and the source key. */
export const RECV_FRAME_OVERHEAD = FRAME_HEADER_LEN + KEY_LEN;

export class TurnBatch {
  private readonly keys: Array<Uint8Array | undefined> = [];
  private readonly bufs: Array<Buffer | undefined> = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** Packets held. */
  count = 0;
  /** Bytes the held packets take as RecvPacket frames. */
  frameBytes = 0;

  /** Holds `buf[start, end)` from `srcKey` until the next take(). */
  add(srcKey: Uint8Array, buf: Buffer, start: number, end: number): void {
    const i = this.count++;
    this.keys[i] = srcKey;
    this.bufs[i] = buf;
    this.starts[i] = start;
    this.ends[i] = end;
    this.frameBytes += RECV_FRAME_OVERHEAD + end - start;
  }

  /** Encodes every held packet, in order, as RecvPacket frames in one buffer, and lets go of them. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.frameBytes);
    let pos = 0;
    for (let i = 0; i < this.count; i++) {
      const start = this.starts[i];
      const end = this.ends[i];
      writeFrameHeader(out, pos, FrameType.RecvPacket, KEY_LEN + end - start);
      out.set(this.keys[i]!, pos + FRAME_HEADER_LEN);
      this.bufs[i]!.copy(out, pos + RECV_FRAME_OVERHEAD, start, end);
      pos += RECV_FRAME_OVERHEAD + end - start;
    }
    this.clear();
    return out;
  }

  /** Calls `fn` for each held packet (for counting what a closing connection never got), then lets go of them. */
  discard(fn: (buf: Buffer, start: number, end: number) => void): void {
    for (let i = 0; i < this.count; i++) fn(this.bufs[i]!, this.starts[i], this.ends[i]);
    this.clear();
  }

  /** Drops the references, so that an idle receiver pins no read chunk; the arrays keep their capacity. */
  private clear(): void {
    this.keys.fill(undefined, 0, this.count);
    this.bufs.fill(undefined, 0, this.count);
    this.count = 0;
    this.frameBytes = 0;
  }
}
