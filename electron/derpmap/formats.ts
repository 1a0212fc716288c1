/**
 * Reading and writing DERP map files: Tailscale's DERPMap JSON and headscale's derp.yaml. YAML is kept as a
 * document so that saving an edited map changes only what was edited: comments, key order and formatting of
 * everything else survive.
 */
import {
  CST,
  Composer,
  Parser,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { DerpMap } from '../../shared/derpmap/model.js';
import { mapSizeProblem } from '../../shared/derpmap/size.js';
import { MAX_MAP_BYTES } from '../../shared/limits.js';
import { jsonNaming, mapFromPlain, mapToPlain, yamlNaming } from './convert.js';
import { MapParseError } from './map-errors.js';
import { errorAt, parseYamlInput } from './yaml-input.js';
import { isRegionValue, replacedRegion, sameRegion } from './region-identity.js';
import { errorMessage } from '../../shared/errors.js';

export { MapParseError };

export type MapFormat = 'json' | 'yaml';

export interface LoadedMap {
  format: MapFormat;
  map: DerpMap;
  /** The YAML source, for saves that change only what was edited. */
  source?: string;
}

/** By file name first, then by content: JSON starts with `{`. */
export function detectFormat(text: string, fileName = ''): MapFormat {
  if (/\.json$/i.test(fileName)) return 'json';
  if (/\.ya?ml$/i.test(fileName)) return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

/** Refuses text over MAX_MAP_BYTES before any parser or diff spends time on it. */
export function checkMapSize(text: string, what = 'the map'): void {
  const problem = mapSizeProblem(text, what, MAX_MAP_BYTES, Buffer.byteLength);
  if (problem) throw new MapParseError(problem);
}

export function parseMap(text: string, fileName = ''): LoadedMap {
  checkMapSize(text, fileName || 'the map');
  const format = detectFormat(text, fileName);
  const where = fileName || format;
  if (format === 'json') {
    let plain: unknown;
    try {
      plain = JSON.parse(text);
    } catch (err) {
      const m = /position (\d+)/.exec(errorMessage(err));
      throw errorAt(text, where, m ? Number(m[1]) : undefined, `not valid JSON (${errorMessage(err)})`, {
        cause: err,
      });
    }
    return { format, map: mapFromPlain(plain, where) };
  }
  return { format, map: mapFromPlain(parseYamlInput(text, where) ?? {}, where), source: text };
}

export function serializeMap(map: DerpMap, format: MapFormat, previousSource?: string): string {
  if (format === 'json') return JSON.stringify(mapToPlain(map, jsonNaming), null, 2) + '\n';
  const plain = mapToPlain(map, yamlNaming);
  if (previousSource === undefined) {
    const doc = parseDocument('{}');
    doc.contents = doc.createNode(yamlValue(plain)) as typeof doc.contents;
    return doc.toString({ lineWidth: 0 });
  }
  return updateYaml(previousSource, plain);
}

/** Rewrites YAML source to hold `plain`, touching as little of the source as the change allows. */
export function updateYaml(source: string, plain: unknown): string {
  return editInPlace(source, plain) ?? restructure(source, plain);
}

/**
 * When only scalar values changed, edits them in the source's syntax tree: every other byte (comments and their
 * alignment, quoting, blank lines) stays exactly as the user wrote it. Returns null for structural changes.
 */
function editInPlace(source: string, plain: unknown): string | null {
  const tokens = [...new Parser().parse(source)];
  const [doc] = [...new Composer({ keepSourceTokens: true }).compose(tokens)];
  if (!doc || doc.errors.length > 0) return null;
  const edits: Array<() => void> = [];
  const walk = (node: unknown, value: unknown): boolean => {
    if (Array.isArray(value))
      return isSeq(node) && node.items.length === value.length && value.every((v, i) => walk(node.items[i], v));
    if (typeof value === 'object' && value !== null) {
      // A region replaced by another under the same key is rewritten whole, without the old one's comments.
      if (!isMap(node) || (isRegionValue(value) && replacedRegion(node.toJSON(), value))) return false;
      const obj = value as Record<string, unknown>;
      const keys = node.items.map((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)));
      if (keys.length !== Object.keys(obj).length || !keys.every((k) => k in obj)) return false;
      return node.items.every((p, i) => walk(p.value, obj[keys[i]]));
    }
    if (!isScalar(node) || !node.srcToken) return false;
    if (node.value === value) return true;
    if (
      typeof value === 'string' &&
      value !== String(Number(value)) &&
      !/^(true|false|null|~|yes|no)$/i.test(value) &&
      /^[\w.\-:/@]+$/.test(value) &&
      !/^[-?:]/.test(value)
    ) {
      const tok = node.srcToken;
      edits.push(() => CST.setScalarValue(tok, value));
      return true;
    }
    if (typeof value === 'number' || typeof value === 'boolean') {
      const tok = node.srcToken;
      edits.push(() => CST.setScalarValue(tok, String(value), { type: 'PLAIN' }));
      return true;
    }
    const tok = node.srcToken;
    edits.push(() => CST.setScalarValue(tok, String(value), { type: 'QUOTE_DOUBLE' }));
    return true;
  };
  if (!walk(doc.contents, plain)) return null;
  for (const e of edits) e();
  return tokens.map((t) => CST.stringify(t)).join('');
}

/** Structural changes (regions or nodes added, removed, reordered): rewritten through the document model. */
function restructure(source: string, plain: unknown): string {
  const doc = parseDocument(source);
  doc.contents = sync(doc, doc.contents as Node | null, plain) as typeof doc.contents;
  return doc.toString({ lineWidth: 0 });
}

/**
 * Rewrites `node` to hold `value`, keeping every node (and its comments) whose content does not change. Map
 * keys are matched by name, list items by position.
 */
function sync(doc: Document, node: Node | null, value: unknown): Node {
  if (Array.isArray(value)) {
    if (!isSeq(node)) return doc.createNode(yamlValue(value));
    value.forEach((v, i) => {
      node.items[i] = sync(doc, (node.items[i] as Node) ?? null, v);
    });
    node.items.length = value.length;
    return node;
  }
  if (typeof value === 'object' && value !== null) {
    if (!isMap(node)) return doc.createNode(yamlValue(value));
    const obj = value as Record<string, unknown>;
    renameMovedKeys(doc, node, obj);
    for (const pair of [...node.items]) {
      if (!(keyOf(pair) in obj)) node.delete(pair.key);
    }
    for (const [k, v] of Object.entries(obj)) {
      const pair = node.items.find((p) => keyOf(p) === k);
      if (!pair) node.add(doc.createPair(yamlKey(k), yamlValue(v)));
      else if (isRegionValue(v) && isMap(pair.value) && replacedRegion(pair.value.toJSON(), v)) {
        // Another region under this id: the comments on and in the old one described it, not this one.
        pair.key = doc.createNode(yamlKey(k));
        pair.value = doc.createNode(yamlValue(v));
      } else pair.value = sync(doc, pair.value as Node | null, v);
    }
    return node;
  }
  if (isScalar(node)) {
    if (node.value !== value) node.value = value;
    return node;
  }
  return doc.createNode(value);
}

function keyOf(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

/**
 * A renumbered region is the same region under a new key: its pair is renamed in place, so the comments on and
 * inside it stay with it. A removed and an added region are one region moved when they share a code or a node
 * hostname; a region deleted while another is added keeps its comments to itself. Other numeric keys
 * (HomeParams.RegionScore) move when one was removed and one added at the same level.
 */
function renameMovedKeys(doc: Document, node: YAMLMap, obj: Record<string, unknown>): void {
  const removed = node.items.filter((p) => /^\d+$/.test(keyOf(p)) && !(keyOf(p) in obj));
  const present = new Set(node.items.map(keyOf));
  const added = Object.keys(obj).filter((k) => /^\d+$/.test(k) && !present.has(k));
  if (removed.length === 0 || added.length === 0) return;
  for (const pair of removed) {
    const old: unknown = isMap(pair.value) ? pair.value.toJSON() : undefined;
    let to: string | undefined;
    if (isRegionValue(old)) to = added.find((k) => isRegionValue(obj[k]) && sameRegion(old, obj[k]));
    else if (removed.length === 1 && added.length === 1 && !isRegionValue(obj[added[0]])) to = added[0];
    if (to === undefined) continue;
    added.splice(added.indexOf(to), 1);
    const key = doc.createNode(yamlKey(to));
    if (isScalar(pair.key)) Object.assign(key, { commentBefore: pair.key.commentBefore, comment: pair.key.comment });
    pair.key = key;
  }
}

/** Region ids (and RegionScore keys) are integers in derp.yaml: `900:`, not `"900":`, or headscale cannot read them. */
function yamlKey(k: string): string | number {
  return /^\d+$/.test(k) ? Number(k) : k;
}

function yamlValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(yamlValue);
  if (typeof v === 'object' && v !== null)
    return new Map(Object.entries(v).map(([k, x]) => [yamlKey(k), yamlValue(x)]));
  return v;
}
