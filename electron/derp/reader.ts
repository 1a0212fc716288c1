/**
 * Incremental DERP frame parser. Frames that lie inside one socket chunk are handed out in place (no copy);
 * only a frame that spans chunks is assembled in a scratch buffer. The bytes passed to `onFrame` are valid
 * only during the call.
 */
import { FRAME_HEADER_LEN } from './frames.js';

export class FrameTooLargeError extends Error {
  constructor(
    readonly frameType: number,
    readonly frameLength: number,
    readonly limit: number,
  ) {
    super(
      `frame type 0x${frameType.toString(16).padStart(2, '0')} of ${frameLength} bytes exceeds the limit of ${limit}`,
    );
  }
}

/**
 * Returns false to pause parsing (the unread rest is kept until `resume()`), anything else to go on.
 */
export type FrameHandler = (type: number, buf: Buffer, start: number, end: number) => boolean | void;

export class FrameReader {
  /** Bytes carried over between chunks: a partial frame, or the rest of a chunk read while paused. */
  private carry: Buffer | null = null;
  private carryLen = 0;
  private paused = false;
  private failed = false;

  constructor(
    private readonly onFrame: FrameHandler,
    /** May change as the connection moves from handshake to steady state. */
    public maxFrameLen: number,
    private readonly onError: (err: Error) => void,
  ) {}

  get isPaused(): boolean {
    return this.paused;
  }

  /** Bytes held inside the reader; bounded by one frame plus one chunk. */
  get bufferedBytes(): number {
    return this.carryLen;
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    if (this.paused) {
      this.appendCarry(chunk, 0, chunk.length);
      return;
    }
    let pos = 0;
    if (this.carryLen > 0) {
      pos = this.completeCarriedFrame(chunk);
      if (pos < 0) return;
    }
    this.parse(chunk, pos, chunk.length);
  }

  resume(): void {
    if (!this.paused || this.failed) return;
    this.paused = false;
    const buf = this.carry;
    const len = this.carryLen;
    this.carry = null;
    this.carryLen = 0;
    if (buf) this.parse(buf, 0, len);
  }

  /**
   * Copies just enough of `chunk` to finish the frame begun in an earlier chunk and hands it out.
   * Returns where parsing of `chunk` continues, or -1 when the chunk is used up or parsing stopped.
   */
  private completeCarriedFrame(chunk: Buffer): number {
    let pos = 0;
    if (this.carryLen < FRAME_HEADER_LEN) {
      const take = Math.min(FRAME_HEADER_LEN - this.carryLen, chunk.length);
      this.appendCarry(chunk, 0, take);
      pos = take;
      if (this.carryLen < FRAME_HEADER_LEN) return -1;
    }
    const carry = this.carry!;
    const type = carry[0];
    const len = carry.readUInt32BE(1);
    if (len > this.maxFrameLen) {
      this.fail(new FrameTooLargeError(type, len, this.maxFrameLen));
      return -1;
    }
    const total = FRAME_HEADER_LEN + len;
    const take = Math.min(total - this.carryLen, chunk.length - pos);
    this.appendCarry(chunk, pos, pos + take, total);
    pos += take;
    if (this.carryLen < total) return -1;
    const frame = this.carry!;
    // Dropped rather than kept for reuse so that idle connections hold no scratch memory.
    this.carry = null;
    this.carryLen = 0;
    const goOn = this.onFrame(type, frame, FRAME_HEADER_LEN, total);
    if (this.failed) return -1;
    if (goOn === false) {
      this.paused = true;
      if (pos < chunk.length) this.appendCarry(chunk, pos, chunk.length);
      return -1;
    }
    return pos;
  }

  private parse(buf: Buffer, pos: number, end: number): void {
    let pendingFrameLen = 0;
    while (end - pos >= FRAME_HEADER_LEN) {
      const type = buf[pos];
      const len = buf.readUInt32BE(pos + 1);
      if (len > this.maxFrameLen) {
        this.fail(new FrameTooLargeError(type, len, this.maxFrameLen));
        return;
      }
      const frameEnd = pos + FRAME_HEADER_LEN + len;
      if (frameEnd > end) {
        pendingFrameLen = FRAME_HEADER_LEN + len;
        break;
      }
      const goOn = this.onFrame(type, buf, pos + FRAME_HEADER_LEN, frameEnd);
      pos = frameEnd;
      if (this.failed) return;
      if (goOn === false) {
        this.paused = true;
        break;
      }
    }
    if (pos < end) this.appendCarry(buf, pos, end, this.paused ? 0 : pendingFrameLen);
  }

  private appendCarry(src: Buffer, start: number, end: number, sizeHint = 0): void {
    const n = end - start;
    if (!this.carry || this.carry.length - this.carryLen < n) {
      const needed = this.carryLen + n;
      const next = Buffer.allocUnsafe(Math.max(needed, sizeHint, this.carry ? this.carry.length * 2 : 0, 256));
      if (this.carry) this.carry.copy(next, 0, 0, this.carryLen);
      this.carry = next;
    }
    src.copy(this.carry, this.carryLen, start, end);
    this.carryLen += n;
  }

  private fail(err: Error): void {
    this.failed = true;
    this.carry = null;
    this.carryLen = 0;
    this.onError(err);
  }
}
