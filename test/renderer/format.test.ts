import { describe, expect, it } from 'vitest';
import { formatAgo, formatBytes, formatCount, formatRate, shortNodeKey } from '../../renderer/src/format.js';

describe('format helpers', () => {
  it('formats byte sizes with decimal units and never shows 1000 of a unit', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1536)).toBe('1.54 KB');
    expect(formatBytes(999_960)).toBe('1.00 MB');
    expect(formatBytes(123_456_789)).toBe('123.5 MB');
    expect(formatBytes(5e12)).toBe('5.00 TB');
    expect(formatBytes(Number.NaN)).toBe('–');
  });

  it('formats rates and counts', () => {
    expect(formatRate(2_500_000)).toBe('2.50 MB/s');
    expect(formatCount(3)).toBe('3');
    expect(formatCount(2.5)).toBe('2.5');
    expect(formatCount(2500)).toBe('2.5k');
    expect(formatCount(999_999)).toBe('1.00M');
    expect(formatCount(12_345_678)).toBe('12.35M');
    expect(formatCount(Number.POSITIVE_INFINITY)).toBe('–');
  });

  it('formats relative times', () => {
    expect(formatAgo(10_000, 10_000)).toBe('0s ago');
    expect(formatAgo(20_000, 10_000)).toBe('0s ago'); // clock skew: never "in the future"
    expect(formatAgo(0, 42_000)).toBe('42s ago');
    expect(formatAgo(0, 185_000)).toBe('3m 5s ago');
    expect(formatAgo(0, 3_725_000)).toBe('1h 2m ago');
    expect(formatAgo(0, 4 * 86_400_000 + 5)).toBe('4d ago');
  });

  it('shortens node keys to nodekey: plus 8 hex digits', () => {
    expect(shortNodeKey('nodekey:' + 'a'.repeat(64))).toBe('nodekey:aaaaaaaa…');
    expect(shortNodeKey('nodekey:ab')).toBe('nodekey:ab');
  });
});
