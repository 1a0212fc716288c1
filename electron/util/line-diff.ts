/**
 * A unified line diff for showing what a save will change. Myers' algorithm (the `diff` package) costs
 * O((N+M)·D) for D changed lines: fast for an edit, but two large unrelated texts would take minutes, so the
 * search stops at a number of changes nobody reads line by line, or a time limit, and says the texts differ
 * throughout instead.
 */
import { structuredPatch } from 'diff';
import { mapSizeProblem } from '../../shared/derpmap/size.js';
import { MAX_MAP_BYTES } from '../../shared/limits.js';

export interface DiffLimits {
  /** Changed lines beyond which the diff is summarised rather than listed. */
  maxChangedLines?: number;
  timeoutMs?: number;
}

export const DEFAULT_DIFF_LIMITS: Required<DiffLimits> = { maxChangedLines: 10_000, timeoutMs: 3_000 };

function lineCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text === '' || text.endsWith('\n') ? n : n + 1;
}

export function unifiedDiff(
  before: string,
  after: string,
  name = 'file',
  context = 2,
  limits: DiffLimits = {},
): string {
  const tooLarge =
    mapSizeProblem(before, 'the text before the change', MAX_MAP_BYTES, Buffer.byteLength) ??
    mapSizeProblem(after, 'the text after the change', MAX_MAP_BYTES, Buffer.byteLength);
  if (tooLarge) throw new Error(tooLarge);
  if (before === after) return '';
  const { maxChangedLines, timeoutMs } = { ...DEFAULT_DIFF_LIMITS, ...limits };
  const header = [`--- ${name}`, `+++ ${name}`];
  const patch = structuredPatch(name, name, before, after, undefined, undefined, {
    context,
    maxEditLength: maxChangedLines,
    timeout: timeoutMs,
  });
  if (!patch) {
    const removed = lineCount(before);
    const added = lineCount(after);
    return (
      [
        ...header,
        `the files differ throughout (${removed} lines removed, ${added} added): too many changes to list line by line`,
      ].join('\n') + '\n'
    );
  }
  const out = [...header];
  for (const h of patch.hunks) {
    // Unified diff numbers an empty range by the line before it.
    const oldStart = h.oldLines === 0 ? h.oldStart - 1 : h.oldStart;
    const newStart = h.newLines === 0 ? h.newStart - 1 : h.newStart;
    out.push(`@@ -${oldStart},${h.oldLines} +${newStart},${h.newLines} @@`, ...h.lines);
  }
  return out.join('\n') + '\n';
}
