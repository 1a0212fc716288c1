/**
 * The last check before a map file is written: the text must be a DERP map that reads back as exactly the map
 * being saved, with every value on one line. The YAML editor keeps the opened text's bytes where it can, and a
 * caller supplies that text; without this check it could carry lines that are not the map (a plain scalar that
 * runs on over several lines reads back as one value, yet puts arbitrary lines in the file).
 */
import { isScalar, parseDocument, visit } from 'yaml';
import type { DerpMap } from '../../shared/derpmap/model.js';
import { jsonNaming, mapToPlain } from '../derpmap/convert.js';
import { parseMap } from '../derpmap/formats.js';
import { errorMessage } from '../../shared/errors.js';

/** Why `text` may not be written as `map` to `file`, or null when it may. */
export function renderedMapProblem(text: string, map: DerpMap, file: string): string | null {
  const control = /[\u0000-\u0008\u000b-\u001f\u007f]/.exec(text);
  if (control)
    return `refused to write ${file}: line ${lineOf(text, control.index)} holds a control character, which a DERP map never needs`;
  let reread: DerpMap;
  try {
    reread = parseMap(text, file).map;
  } catch (err) {
    return `refused to write ${file}: the new text does not read back as a DERP map (${errorMessage(err)})`;
  }
  if (canonical(mapToPlain(reread, jsonNaming)) !== canonical(mapToPlain(map, jsonNaming))) {
    return `refused to write ${file}: the new text reads back as a different map than the one being saved; reopen the file and edit again`;
  }
  const doc = parseDocument(text);
  let spanning: number | null = null;
  visit(doc, {
    Scalar(_key, node) {
      if (spanning === null && isScalar(node) && node.range && text.slice(node.range[0], node.range[1]).includes('\n'))
        spanning = node.range[0];
    },
  });
  if (spanning !== null)
    return `refused to write ${file}: the value at line ${lineOf(text, spanning)} runs over several lines; DERP map values fit on one line`;
  return null;
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/** JSON with object keys sorted: two plain values are the same data exactly when these strings are equal. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'object' && x !== null && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/**
 * Why a file opened as a map is refused, or null. The editor returns the text it opened, so without this any YAML
 * or JSON file in an allowed folder (headscale's config.yaml with its secrets, a JSON key file) could be read
 * through map.open: a file is a DERP map only if it has regions, or nothing but the map's own keys.
 */
export function openedFileProblem(map: DerpMap, file: string): string | null {
  if (Object.keys(map.Regions).length > 0 || !map.extra) return null;
  return `${file} is not a DERP map (it has no regions, and keys a DERP map does not have); open a headscale config.yaml with "Show merged map"`;
}
