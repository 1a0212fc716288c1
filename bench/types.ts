/** One benchmark's outcome: a title and the figures it measured, in the units its labels name. */
export interface BenchResult {
  title: string;
  rows: Array<Record<string, string | number>>;
  notes?: string[];
  /** A plot written next to the Markdown as `file` and shown under the table. */
  chart?: { file: string; alt: string; svg: string };
}

/** Open loop: traffic offered at the full rate before counting starts, so JIT warm-up and TCP window growth are not measured. */
export const WARMUP_MS = 500;
