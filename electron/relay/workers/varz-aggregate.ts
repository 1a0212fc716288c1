/**
 * One /debug/varz for a relay of several workers: every sample summed across the workers' texts, so a scraper
 * sees the relay's totals (as from the single process), never one worker's share by accident.
 */

/**
 * Gauges that describe what all workers share (each worker has the same value), not what each one holds: every
 * worker dials every region peer, so each routes to all of the peers' clients.
 */
const SAME_IN_EVERY_WORKER = new Set(['counter_bootstrap_dns_queried_domains', 'derp_clients_remote']);
/** Local clients add up and remote ones do not, so the relay's total is made from the two sums. */
const TOTAL = 'derp_clients_total';
const LOCAL = 'derp_clients_local';
const REMOTE = 'derp_clients_remote';

const SAMPLE = /^([A-Za-z_:][A-Za-z0-9_:]*(?:\{[^}]*\})?) (\S+)$/;

/** Sums Prometheus text samples by name and labels, keeping the first text's order and its # TYPE lines. */
export function sumVarz(texts: string[]): string {
  const order: string[] = [];
  const listed = new Set<string>();
  const sums = new Map<string, number>();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const m = SAMPLE.exec(line);
      const key = m ? m[1] : line;
      if (!listed.has(key)) {
        listed.add(key);
        order.push(key);
      }
      if (!m) continue;
      const value = Number(m[2]);
      const name = key.replace(/\{.*$/, '');
      const before = sums.get(key);
      sums.set(
        key,
        before === undefined ? value : SAME_IN_EVERY_WORKER.has(name) ? Math.max(before, value) : before + value,
      );
    }
  }
  if (sums.has(TOTAL)) sums.set(TOTAL, (sums.get(LOCAL) ?? 0) + (sums.get(REMOTE) ?? 0));
  return order.map((key) => (sums.has(key) ? `${key} ${sums.get(key)}` : key)).join('\n') + '\n';
}
