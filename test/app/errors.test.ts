/** shared/errors.ts: one way to turn whatever was thrown into text. */
import { describe, expect, it } from 'vitest';
import { causeMessage, errorDetail, errorMessage, errorWithCauses, isTimeoutError } from '../../shared/errors.js';

describe('errorMessage', () => {
  it('reads an Error, a subclass and a thrown string', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage(new TypeError('bad type'))).toBe('bad type');
    expect(errorMessage('plain text')).toBe('plain text');
  });

  it('reads an error-like object from another realm by its message', () => {
    expect(errorMessage({ name: 'Error', message: 'from a worker' })).toBe('from a worker');
  });

  it('writes other values as JSON, falling back to String()', () => {
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(null)).toBe('null');
    expect(errorMessage(undefined)).toBe('undefined');
    expect(errorMessage({ code: 7 })).toBe('{"code":7}');
    expect(errorMessage(10n)).toBe('10');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(errorMessage(cyclic)).toBe('[object Object]');
  });
});

describe('errorWithCauses', () => {
  it('joins the cause chain, skipping a cause the message already quotes', () => {
    const inner = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const mid = new Error('fetch failed', { cause: inner });
    expect(errorWithCauses(new Error('cannot fetch map', { cause: mid }))).toBe(
      'cannot fetch map: fetch failed: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(errorWithCauses(new Error('cannot read x: ENOENT', { cause: new Error('ENOENT') }))).toBe(
      'cannot read x: ENOENT',
    );
    expect(errorWithCauses('just text')).toBe('just text');
  });

  it('stops on a cyclic cause', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(errorWithCauses(a)).toBe('a: b');
  });
});

describe('causeMessage and isTimeoutError', () => {
  it('prefers the direct cause', () => {
    expect(causeMessage(new Error('fetch failed', { cause: new Error('ECONNREFUSED') }))).toBe('ECONNREFUSED');
    expect(causeMessage(new Error('no cause'))).toBe('no cause');
  });

  it('recognises an AbortSignal.timeout rejection', async () => {
    const signal = AbortSignal.timeout(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(isTimeoutError(signal.reason)).toBe(true);
    expect(isTimeoutError(new Error('x'))).toBe(false);
    expect(isTimeoutError(undefined)).toBe(false);
  });
});

describe('errorDetail', () => {
  it("gives an Error's stack and anything else's message", () => {
    const err = new Error('broke');
    expect(errorDetail(err)).toBe(err.stack);
    expect(errorDetail(err)).toMatch(/^Error: broke\n\s+at /);
    expect(errorDetail('text')).toBe('text');
    expect(errorDetail({ code: 1 })).toBe('{"code":1}');
  });
});
