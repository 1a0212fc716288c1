/** One benchmark's outcome: a title and the figures it measured, in the units its labels name. */
export interface BenchResult {
  title: string;
  rows: Array<Record<string, string | number>>;
  notes?: string[];
}
