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

/**
 * The name TLS benchmarks serve and clients ask for (SNI). derper v1.34 in manual cert mode refuses a handshake whose
 * SNI is not its -hostname, so both relays get a certificate for this name and every client dials 127.0.0.1 with it.
 */
export const BENCH_TLS_NAME = 'derp.bench.test';

/** Certificate files for BENCH_TLS_NAME, handed to TLS pipe servers. */
export interface BenchCert {
  certFile: string;
  keyFile: string;
}
