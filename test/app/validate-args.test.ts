/** The argument validator combinators: what each accepts, what it refuses, and the path its problem names. */
import { describe, expect, it } from 'vitest';
import {
  anything,
  arg,
  argumentsProblem,
  array,
  boolean,
  number,
  object,
  oneOf,
  record,
  string,
  takes,
  variant,
} from '../../shared/validate-args.js';

const problemOf = (v: { check(x: unknown, p: string): unknown }, x: unknown) => v.check(x, 'a');

describe('validators', () => {
  it('string: type and UTF-8 byte cap', () => {
    expect(problemOf(string(), 'x')).toBeNull();
    expect(problemOf(string(), 1)).toEqual({ path: 'a', message: 'must be a string' });
    expect(problemOf(string({ maxBytes: 4 }), 'éé')).toBeNull();
    expect(problemOf(string({ maxBytes: 4 }), 'ééé')).toEqual({ path: 'a', message: 'must be at most 4 bytes' });
    expect(problemOf(string({ maxBytes: 4 }), '😀')).toBeNull();
    expect(problemOf(string({ maxBytes: 3 }), '😀')).not.toBeNull();
  });

  it('number: type, whole, bounds (NaN only when unbounded)', () => {
    expect(problemOf(number(), Number.NaN)).toBeNull();
    expect(problemOf(number(), '1')).toEqual({ path: 'a', message: 'must be a number' });
    expect(problemOf(number({ int: true }), 1.5)).toEqual({ path: 'a', message: 'must be a whole number' });
    expect(problemOf(number({ min: 0 }), Number.NaN)).toEqual({ path: 'a', message: 'must be at least 0' });
    expect(problemOf(number({ max: 10 }), 11)).toEqual({ path: 'a', message: 'must be at most 10' });
    expect(problemOf(number({ min: -1, max: 10, int: true }), -1)).toBeNull();
  });

  it('boolean, oneOf and anything', () => {
    expect(problemOf(boolean(), 0)).toEqual({ path: 'a', message: 'must be true or false' });
    expect(problemOf(oneOf('yaml', 'json'), 'toml')).toEqual({ path: 'a', message: 'must be one of "yaml", "json"' });
    expect(problemOf(oneOf('yaml', 'json'), 'json')).toBeNull();
    expect(problemOf(anything(), { deep: [1] })).toBeNull();
  });

  it('object: required, optional (absent or undefined) and unknown fields', () => {
    const o = object({ p: string(), q: number() }, { optional: ['q'] });
    expect(problemOf(o, { p: 'x' })).toBeNull();
    expect(problemOf(o, { p: 'x', q: undefined })).toBeNull();
    expect(problemOf(o, {})).toEqual({ path: 'a.p', message: 'is missing' });
    expect(problemOf(o, { p: 'x', q: 'y' })).toEqual({ path: 'a.q', message: 'must be a number' });
    expect(problemOf(o, { p: 'x', r: 1 })).toEqual({ path: 'a', message: 'has an unknown field "r"' });
    expect(problemOf(o, JSON.parse('{"p":"x","__proto__":{"polluted":true}}'))).toEqual({
      path: 'a',
      message: 'has an unknown field "__proto__"',
    });
    for (const bad of [null, [], 'x', 1])
      expect(problemOf(o, bad)).toEqual({ path: 'a', message: 'must be an object' });
  });

  it('array and record: each item by index or key, and a size cap', () => {
    expect(problemOf(array(number(), { max: 2 }), [1, 'x'])).toEqual({ path: 'a[1]', message: 'must be a number' });
    expect(problemOf(array(number(), { max: 2 }), [1, 2, 3])).toEqual({
      path: 'a',
      message: 'must have at most 2 items',
    });
    expect(problemOf(array(number()), {})).toEqual({ path: 'a', message: 'must be a list' });
    expect(problemOf(record(number()), { '900': 'x' })).toEqual({ path: 'a.900', message: 'must be a number' });
    expect(problemOf(record(number(), { max: 1 }), { x: 1, y: 2 })).toEqual({
      path: 'a',
      message: 'must have at most 1 entries',
    });
  });

  it('variant: the tag picks the case; the case checks the rest', () => {
    const v = variant('kind', { file: object({ path: string() }), url: object({ url: string() }) });
    expect(problemOf(v, { kind: 'file', path: '/x' })).toBeNull();
    expect(problemOf(v, { kind: 'file', url: 'x' })).toEqual({ path: 'a', message: 'has an unknown field "url"' });
    expect(problemOf(v, { kind: 'nope' })).toEqual({ path: 'a.kind', message: 'must be one of "file", "url"' });
    expect(problemOf(v, { kind: 'toString' })).toEqual({ path: 'a.kind', message: 'must be one of "file", "url"' });
  });

  it('argumentsProblem: arity, then the first argument that fails, by number and name', () => {
    const spec = takes(arg('id', string()), arg('format', oneOf('json', 'csv'))).returns<string>();
    expect(argumentsProblem('x.export', spec, ['a', 'json'])).toBeNull();
    expect(argumentsProblem('x.export', spec, ['a'])).toBe('x.export takes 2 argument(s)');
    expect(argumentsProblem('x.export', spec, 'a')).toBe('x.export takes 2 argument(s)');
    expect(argumentsProblem('x.export', spec, ['a', 'pdf'])).toBe(
      'x.export: argument 2 (format) must be one of "json", "csv"',
    );
  });
});
