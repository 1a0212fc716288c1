import { describe, expect, it } from 'vitest';
import { FrameReader, FrameTooLargeError } from '../../electron/derp/reader.js';
import { frame } from '../helpers/relay.js';

function collect(maxLen = 1 << 20) {
  const frames: Array<[number, string]> = [];
  const errors: Error[] = [];
  const r = new FrameReader(
    (t, b, s, e) => void frames.push([t, b.toString('hex', s, e)]),
    maxLen,
    (e) => errors.push(e),
  );
  return { r, frames, errors };
}

describe('FrameReader', () => {
  const stream = Buffer.concat([
    frame(4, Buffer.from('hello')),
    frame(6),
    frame(0x12, Buffer.alloc(8, 9)),
    frame(4, Buffer.alloc(3000, 1)),
  ]);

  it('parses frames whole, or split at every possible byte boundary', () => {
    const whole = collect();
    whole.r.push(stream);
    expect(whole.frames.map((f) => f[0])).toEqual([4, 6, 0x12, 4]);
    for (let cut = 1; cut < stream.length; cut += 7) {
      const c = collect();
      c.r.push(stream.subarray(0, cut));
      c.r.push(stream.subarray(cut));
      expect(c.frames).toEqual(whole.frames);
    }
  });

  it('parses a stream delivered one byte at a time', () => {
    const c = collect();
    for (let i = 0; i < stream.length; i++) c.r.push(stream.subarray(i, i + 1));
    expect(c.frames.length).toBe(4);
    expect(c.frames[0][1]).toBe(Buffer.from('hello').toString('hex'));
    expect(c.r.bufferedBytes).toBe(0);
  });

  it('rejects a frame header announcing more than the limit, before buffering it', () => {
    const c = collect(100);
    const big = Buffer.alloc(5);
    big[0] = 4;
    big.writeUInt32BE(101, 1);
    c.r.push(big);
    expect(c.errors[0]).toBeInstanceOf(FrameTooLargeError);
    expect(c.errors[0].message).toContain('101 bytes exceeds the limit of 100');
    c.r.push(frame(6));
    expect(c.frames).toEqual([]);
  });

  it('pauses when the handler says so and resumes with the rest', () => {
    const seen: number[] = [];
    let pauseOnce = true;
    const r = new FrameReader(
      (t) => {
        seen.push(t);
        if (pauseOnce) {
          pauseOnce = false;
          return false;
        }
        return true;
      },
      1 << 20,
      () => {},
    );
    r.push(Buffer.concat([frame(2, Buffer.alloc(10)), frame(6), frame(7, Buffer.of(1))]));
    expect(seen).toEqual([2]);
    r.push(frame(0x12, Buffer.alloc(8)));
    expect(seen).toEqual([2]);
    r.resume();
    expect(seen).toEqual([2, 6, 7, 0x12]);
  });
});
