/**
 * A tiny validator combinator for the API's arguments: each validator checks an untrusted value and carries the
 * TypeScript type the value has once it passed (`Infer<typeof v>`), so the contract's argument types are derived
 * from the very checks the main process runs. No dependencies: the preload bundles this file.
 */

import { utf8Length } from './utf8.js';

/** Where a value failed (`req.source.path`, `map.Regions.900.Nodes[0]`) and why (`must be a string`). */
export interface Problem {
  path: string;
  message: string;
}

export interface Validator<T> {
  /** null when `value` is a T; `path` names the value in the problem. */
  check(value: unknown, path: string): Problem | null;
  /** Type only, never set: what a checked value is. */
  readonly __type?: () => T;
}

export type Infer<V> = V extends Validator<infer T> ? T : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

const problem = (path: string, message: string): Problem => ({ path, message });
const validator = <T>(check: (value: unknown, path: string) => Problem | null): Validator<T> => ({ check });
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const quote = (v: unknown) => JSON.stringify(v);

export function string(opts: { maxBytes?: number } = {}): Validator<string> {
  return validator((v, path) => {
    if (typeof v !== 'string') return problem(path, 'must be a string');
    if (opts.maxBytes !== undefined && (v.length > opts.maxBytes || utf8Length(v) > opts.maxBytes))
      return problem(path, `must be at most ${opts.maxBytes} bytes`);
    return null;
  });
}

/** Any number (NaN included) unless bounded: with `min`, `max` or `int`, NaN fails. */
export function number(opts: { min?: number; max?: number; int?: boolean } = {}): Validator<number> {
  return validator((v, path) => {
    if (typeof v !== 'number') return problem(path, 'must be a number');
    if (opts.int && !Number.isInteger(v)) return problem(path, 'must be a whole number');
    if (opts.min !== undefined && !(v >= opts.min)) return problem(path, `must be at least ${opts.min}`);
    if (opts.max !== undefined && !(v <= opts.max)) return problem(path, `must be at most ${opts.max}`);
    return null;
  });
}

export function boolean(): Validator<boolean> {
  return validator((v, path) => (typeof v === 'boolean' ? null : problem(path, 'must be true or false')));
}

/** Any value at all: for data carried as is (a map's unknown fields). */
export function anything(): Validator<unknown> {
  return validator(() => null);
}

/** One of a few literal values. */
export function oneOf<const L extends readonly (string | number | boolean)[]>(...values: L): Validator<L[number]> {
  return validator((v, path) =>
    (values as readonly unknown[]).includes(v) ? null : problem(path, `must be one of ${values.map(quote).join(', ')}`),
  );
}

type Shape = Record<string, Validator<unknown>>;
type ObjectOf<S extends Shape, O extends keyof S> = Simplify<
  { [K in Exclude<keyof S, O>]: Infer<S[K]> } & { [K in O]?: Infer<S[K]> }
>;

/**
 * A plain object with exactly these fields: the `optional` ones may be absent or undefined, the others must be
 * present, and a field not in the shape is refused (nothing unexpected reaches a service).
 */
export function object<S extends Shape, O extends keyof S & string = never>(
  shape: S,
  opts: { optional?: readonly O[] } = {},
): Validator<ObjectOf<S, NoInfer<O>>> {
  const optional = new Set<string>(opts.optional ?? []);
  return validator((v, path) => {
    if (!isPlainObject(v)) return problem(path, 'must be an object');
    for (const key of Object.keys(v)) {
      if (!Object.hasOwn(shape, key)) return problem(path, `has an unknown field ${quote(key)}`);
    }
    for (const [key, field] of Object.entries(shape)) {
      const value = Object.hasOwn(v, key) ? v[key] : undefined;
      if (value === undefined) {
        if (optional.has(key)) continue;
        return problem(`${path}.${key}`, 'is missing');
      }
      const p = field.check(value, `${path}.${key}`);
      if (p) return p;
    }
    return null;
  });
}

/** An object used as a map from any key to values of one kind. */
export function record<T>(of: Validator<T>, opts: { max?: number } = {}): Validator<Record<string, T>> {
  return validator((v, path) => {
    if (!isPlainObject(v)) return problem(path, 'must be an object');
    const keys = Object.keys(v);
    if (opts.max !== undefined && keys.length > opts.max) return problem(path, `must have at most ${opts.max} entries`);
    for (const key of keys) {
      const p = of.check(v[key], `${path}.${key}`);
      if (p) return p;
    }
    return null;
  });
}

export function array<T>(of: Validator<T>, opts: { max?: number } = {}): Validator<T[]> {
  return validator((v, path) => {
    if (!Array.isArray(v)) return problem(path, 'must be a list');
    if (opts.max !== undefined && v.length > opts.max) return problem(path, `must have at most ${opts.max} items`);
    for (let i = 0; i < v.length; i++) {
      const p = of.check(v[i], `${path}[${i}]`);
      if (p) return p;
    }
    return null;
  });
}

type VariantOf<K extends string, C extends Record<string, Validator<object>>> = {
  [T in keyof C & string]: Simplify<{ [P in K]: T } & Infer<C[T]>>;
}[keyof C & string];

/**
 * A tagged union: `key` picks the case, whose validator checks the other fields. E.g.
 * `variant('kind', { file: object({ path: string() }), url: object({ url: string() }) })`.
 */
export function variant<K extends string, C extends Record<string, Validator<object>>>(
  key: K,
  cases: C,
): Validator<VariantOf<K, C>> {
  const tags = Object.keys(cases);
  return validator((v, path) => {
    if (!isPlainObject(v)) return problem(path, 'must be an object');
    const tag = v[key];
    if (typeof tag !== 'string' || !Object.hasOwn(cases, tag))
      return problem(`${path}.${key}`, `must be one of ${tags.map(quote).join(', ')}`);
    const rest: Record<string, unknown> = { ...v };
    delete rest[key];
    return cases[tag].check(rest, path);
  });
}

/** One argument of a call: its name (for messages) and its validator. */
export interface Arg<T> {
  readonly name: string;
  readonly value: Validator<T>;
}

export const arg = <T>(name: string, value: Validator<T>): Arg<T> => ({ name, value });

/** A call's arguments, checked; its result type is declared (a result is the service's, not untrusted). */
export interface CallSpec<A extends readonly unknown[], R> {
  readonly args: readonly Arg<unknown>[];
  /** Types only, never set. */
  readonly __args?: () => A;
  readonly __result?: () => R;
}

type ArgTypes<P extends readonly Arg<unknown>[]> = { -readonly [I in keyof P]: P[I] extends Arg<infer T> ? T : never };

/** `takes(arg('id', string())).returns<Result>()`. */
export function takes<const P extends readonly Arg<unknown>[]>(...args: P): { returns<R>(): CallSpec<ArgTypes<P>, R> } {
  return { returns: () => ({ args }) };
}

export type ArgsOf<S> = S extends { readonly __args?: () => infer A } ? A : never;
export type ResultOf<S> = S extends { readonly __result?: () => infer R } ? R : never;

/**
 * What is wrong with a call's arguments, as one message naming the call and the argument path
 * (`map.export: argument 2 (format) must be one of "yaml", "json"`), or null when they fit.
 */
export function argumentsProblem(
  call: string,
  spec: { readonly args: readonly Arg<unknown>[] },
  args: unknown,
): string | null {
  if (!Array.isArray(args) || args.length !== spec.args.length) return `${call} takes ${spec.args.length} argument(s)`;
  for (let i = 0; i < spec.args.length; i++) {
    const p = spec.args[i].value.check(args[i], spec.args[i].name);
    if (p) return `${call}: argument ${i + 1} (${p.path}) ${p.message}`;
  }
  return null;
}

/** True when A and B are the same type: for compile-time checks that a validator matches the type it stands for. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
