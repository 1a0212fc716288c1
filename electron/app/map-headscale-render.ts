/**
 * The text a derp-section save writes, and the last check before it is written: the new config must read back with
 * exactly the edited derp section and every other top-level setting unchanged, with every value on one line.
 */
import { isScalar, parseDocument, visit } from 'yaml';
import type { HeadscaleDerpSection } from '../../shared/derpmap/headscale.js';
import { errorMessage } from '../../shared/errors.js';
import { derpSectionEdit, updateHeadscaleConfig } from '../derpmap/headscale-config.js';
import { parseYamlInput } from '../derpmap/yaml-input.js';
import { unifiedDiff } from '../util/line-diff.js';

export type RenderedDerpSection = { ok: true; text: string; diff: string } | { ok: false; error: string };

export function renderHeadscaleDerp(text: string, derp: HeadscaleDerpSection, file: string): RenderedDerpSection {
  const old = (parseYamlInput(text, file) ?? {}) as Record<string, unknown>;
  const out = updateHeadscaleConfig(text, derp);
  let reread: Record<string, unknown>;
  try {
    reread = (parseYamlInput(out, file) ?? {}) as Record<string, unknown>;
  } catch (err) {
    return { ok: false, error: `refused to write ${file}: the new text does not read back (${errorMessage(err)})` };
  }
  const { derp: _oldDerp, ...oldRest } = old;
  const { derp: newDerp, ...newRest } = reread;
  if (canonical(oldRest) !== canonical(newRest) || canonical(newDerp) !== canonical(derp))
    return { ok: false, error: `refused to write ${file}: the edit would change more than its derp section` };
  const { before, after, startLine } = derpSectionEdit(text, derp);
  const spanning = multiLineScalar(after);
  if (spanning !== null)
    return {
      ok: false,
      error: `refused to write ${file}: line ${spanning} of the derp section runs over several lines; its values fit on one`,
    };
  return { ok: true, text: out, diff: inFile(unifiedDiff(before, after, file), startLine) };
}

/**
 * A diff of the section with its hunks numbered by the lines of the whole file, which its header names: only the
 * section is diffed, so that no line outside it (where secrets live) appears as context.
 */
function inFile(diff: string, startLine: number): string {
  const shift = (n: string) => String(Number(n) + startLine - 1);
  return diff.replace(
    /^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@/gm,
    (_m, a: string, ac: string | undefined, b: string, bc: string | undefined) =>
      `@@ -${shift(a)}${ac ?? ''} +${shift(b)}${bc ?? ''} @@`,
  );
}

function multiLineScalar(text: string): number | null {
  let at: number | null = null;
  visit(parseDocument(text), {
    Scalar(_key, node) {
      if (at === null && isScalar(node) && node.range && text.slice(node.range[0], node.range[1]).includes('\n'))
        at = text.slice(0, node.range[0]).split('\n').length;
    },
  });
  return at;
}

/** JSON with object keys sorted: two plain values are the same data exactly when these strings are equal. */
function canonical(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x: unknown) =>
    typeof x === 'object' && x !== null && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}
