/**
 * YAML from users and URLs, parsed with bounded work. The `yaml` package's defaults are fine for trusted files but
 * not here: its duplicate-key check and its pretty error messages are quadratic (a 4 MiB map of distinct keys, or
 * of errors on one long line, takes minutes), and aliases can make a small file expand without bound.
 */
import { isAlias, isMap, isScalar, parseDocument, visit, type Document } from 'yaml';
import { mapSizeProblem } from '../../shared/derpmap/size.js';
import { MAX_MAP_BYTES } from '../../shared/limits.js';
import { MapParseError } from './map-errors.js';
import { errorMessage } from '../../shared/errors.js';

/** Anchors plus aliases a map may use: enough to share defaults between nodes, too few for an alias bomb. */
export const MAX_YAML_ANCHORS = 1000;
/** How many times an alias may be expanded (the `yaml` package's own default, stated so it cannot drift). */
export const MAX_ALIAS_EXPANSIONS = 100;

function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

export function errorAt(
  text: string,
  where: string,
  offset: number | undefined,
  message: string,
  options?: ErrorOptions,
): MapParseError {
  if (offset === undefined) return new MapParseError(`${where}: ${message}`, undefined, undefined, options);
  const { line, column } = lineCol(text, offset);
  return new MapParseError(`${where}:${line}:${column}: ${message}`, line, column, options);
}

/**
 * One pass over the document: the first duplicate key (linear, with a set per mapping) and the anchor/alias count,
 * which also bounds the `yaml` package's alias resolution (quadratic in the number of anchors and aliases).
 */
function checkKeysAndAliases(doc: Document.Parsed, text: string, where: string): void {
  let anchors = 0;
  let duplicate: MapParseError | null = null;
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node) || node.anchor) anchors++;
      if (anchors > MAX_YAML_ANCHORS) return visit.BREAK;
      if (isMap(node) && !duplicate) {
        const seen = new Set<string>();
        for (const pair of node.items) {
          if (!isScalar(pair.key)) continue;
          const k = String(pair.key.value);
          if (seen.has(k)) {
            duplicate = errorAt(text, where, pair.key.range?.[0], `duplicate key "${k}"`);
            break;
          }
          seen.add(k);
        }
      }
    },
  });
  if (anchors > MAX_YAML_ANCHORS)
    throw new MapParseError(
      `${where}: more than ${MAX_YAML_ANCHORS} YAML anchors and aliases; a DERP map needs a handful — is this a YAML alias bomb?`,
    );
  if (duplicate) throw duplicate;
}

/** Parses `text` as one YAML document and returns its plain value; every failure is a MapParseError with a position. */
export function parseYamlInput(text: string, where: string): unknown {
  const tooLarge = mapSizeProblem(text, where, MAX_MAP_BYTES, Buffer.byteLength);
  if (tooLarge) throw new MapParseError(tooLarge);
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw errorAt(text, where, e.pos[0], e.message.split('\n')[0]);
  }
  checkKeysAndAliases(doc, text, where);
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
  } catch (err) {
    if (err instanceof ReferenceError && err.message.startsWith('Excessive alias count')) {
      throw new MapParseError(
        `${where}: YAML aliases expand more than ${MAX_ALIAS_EXPANSIONS} times — is this a YAML alias bomb?`,
        undefined,
        undefined,
        { cause: err },
      );
    }
    if (err instanceof RangeError)
      throw new MapParseError(`${where}: nested too deeply to be a DERP map`, undefined, undefined, { cause: err });
    throw new MapParseError(`${where}: ${errorMessage(err)}`, undefined, undefined, { cause: err });
  }
}
