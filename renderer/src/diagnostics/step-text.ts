/** What a result cell shows for a step: its status glyph and its measurement with a unit. */
import type { StepResult, StepStatus } from '../../../shared/diagnostics.js';

export const GLYPH: Record<StepStatus, string> = { ok: '✓', warn: '!', fail: '✗', skip: '–' };

/** The measurement a step is read for: days of certificate left, MB/s, else how long it took. */
export function stepValue(s: StepResult): string {
  if (s.status === 'fail' || s.status === 'skip') return '';
  if (s.step === 'tls' && typeof s.data?.daysLeft === 'number') {
    const d = s.data.daysLeft;
    return `${d} ${d === 1 ? 'day' : 'days'} left`;
  }
  if (s.step === 'bandwidth' && typeof s.data?.mbps === 'number') return `${s.data.mbps.toFixed(1)} MB/s`;
  if (s.ms === undefined) return '';
  if (s.ms < 0.1) return '<0.1 ms';
  return `${s.ms < 10 ? s.ms.toFixed(1) : Math.round(s.ms)} ms`;
}

/** The cell's text: "✓ 9.0 ms", "✓ 82 days left", "✓ 41.3 MB/s", "✗ failed", "– skipped". */
export function cellText(s: StepResult): string {
  if (s.status === 'fail') return `${GLYPH.fail} failed`;
  if (s.status === 'skip') return `${GLYPH.skip} ${s.detail.startsWith('not reached') ? 'not reached' : 'skipped'}`;
  const value = stepValue(s);
  return value ? `${GLYPH[s.status]} ${value}` : GLYPH[s.status];
}
