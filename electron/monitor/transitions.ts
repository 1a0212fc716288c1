/**
 * Node transitions worth a notification: ok to failing and back. Rate-limited per node: after one notice, the next
 * waits `minGapMs`; a node that flaps meanwhile is reported once, in the state it is in when the gap is over.
 */
import type { MonitorTransition, NodeState } from '../../shared/monitor.js';

export class TransitionTracker {
  private readonly notified = new Map<string, { status: 'ok' | 'failing'; at: number }>();

  constructor(private readonly minGapMs = 5 * 60_000) {}

  /** The notices due now for these node states. A node's first known state is not a transition. */
  update(nodes: NodeState[], now = Date.now()): MonitorTransition[] {
    const out: MonitorTransition[] = [];
    for (const n of nodes) {
      if (n.status === 'unknown') continue;
      const key = `${n.regionId}/${n.node}`;
      const last = this.notified.get(key);
      if (!last) {
        this.notified.set(key, { status: n.status, at: -Infinity });
        continue;
      }
      if (last.status === n.status || now - last.at < this.minGapMs) continue;
      this.notified.set(key, { status: n.status, at: now });
      out.push({
        regionId: n.regionId,
        regionCode: n.regionCode,
        node: n.node,
        to: n.status,
        at: now,
        ...(n.status === 'failing' && n.failures[0] ? { error: `${n.failures[0].probe}: ${n.failures[0].error}` } : {}),
      });
    }
    return out;
  }
}
