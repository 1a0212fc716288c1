/**
 * The `derp:` section of headscale's config.yaml: the embedded relay's settings and where headscale takes its DERP
 * maps from (urls, then paths). Read and written inside the user's whole config file: an edit rewrites the bytes of
 * the derp section only (comments in it kept), and every byte outside it stays as it was.
 */
import { isMap, isScalar, parseDocument, stringify } from 'yaml';
import type { HeadscaleDerpSection } from '../../shared/derpmap/headscale.js';
import { MapParseError, updateYaml } from './formats.js';
import { parseYamlInput } from './yaml-input.js';

export type { HeadscaleDerpSection, HeadscaleDerpServer } from '../../shared/derpmap/headscale.js';

export interface HeadscaleConfig {
  /** headscale's own URL (server_url): the embedded relay's host name and port come from it. */
  serverUrl?: string;
  derp: HeadscaleDerpSection;
}

export function parseHeadscaleConfig(text: string, file = 'config.yaml'): HeadscaleConfig {
  const all = (parseYamlInput(text, file) ?? {}) as Record<string, unknown>;
  const derp = all.derp;
  if (derp !== undefined && derp !== null && (typeof derp !== 'object' || Array.isArray(derp)))
    throw new MapParseError(`${file}: "derp" must be a section (a map)`);
  return {
    serverUrl: typeof all.server_url === 'string' ? all.server_url : undefined,
    derp: (derp ?? {}) as HeadscaleDerpSection,
  };
}

/** Where the derp section's text is: from its `derp:` key to the end of its last line; null when there is none. */
export function derpSectionSpan(text: string, file = 'config.yaml'): { start: number; end: number } | null {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (!isMap(doc.contents)) return null;
  const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'derp');
  if (!pair || !isScalar(pair.key) || !pair.key.range) return null;
  const start = pair.key.range[0];
  if (start !== 0 && text[start - 1] !== '\n')
    throw new MapParseError(`${file}: "derp" is not a top-level block (a flow-style file); edit it by hand`);
  const valueRange = (pair.value as { range?: [number, number, number] } | null)?.range;
  let end = valueRange ? valueRange[2] : text.indexOf('\n', start) + 1 || text.length;
  if (end < text.length && text[end - 1] !== '\n') end = text.indexOf('\n', end) + 1 || text.length;
  return { start, end };
}

/**
 * The derp section's text as it is now, and as it would be holding `derp` (comments in the section kept), with the
 * line of the file where it starts.
 */
export function derpSectionEdit(
  text: string,
  derp: HeadscaleDerpSection,
): { before: string; after: string; startLine: number } {
  const span = derpSectionSpan(text);
  // Added at the end, after a blank line when the file has anything in it (as updateHeadscaleConfig writes it).
  if (!span)
    return {
      before: '',
      after: stringify({ derp }, { lineWidth: 0 }),
      startLine: lineCount(text) + (text.trim() ? 2 : 1),
    };
  const before = text.slice(span.start, span.end);
  const withNewline = before.endsWith('\n') ? before : `${before}\n`;
  const hasValue = isMap(parseDocument(withNewline).get('derp'));
  const after = hasValue ? updateYaml(withNewline, { derp }) : stringify({ derp }, { lineWidth: 0 });
  return {
    before,
    after: before.endsWith('\n') ? after : after.replace(/\n$/, ''),
    startLine: lineCount(text.slice(0, span.start)) + 1,
  };
}

/** Lines of `text` up to its last newline (a last line without one counts too). */
function lineCount(text: string): number {
  return text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** The whole config with its derp section replaced; everything outside the section keeps its bytes. */
export function updateHeadscaleConfig(text: string, derp: HeadscaleDerpSection): string {
  const span = derpSectionSpan(text);
  const { after } = derpSectionEdit(text, derp);
  if (!span) return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${text.trim() ? '\n' : ''}${after}`;
  return text.slice(0, span.start) + after + text.slice(span.end);
}
