/**
 * The Monitor page's periodic checks run in the main process, so they go on while the window is hidden in the tray;
 * when one turns a node from ok to failing, and back, the user hears of it here. The monitor already rate-limits
 * transitions per node (electron/monitor/transitions.ts), so each one it sends becomes one notice: a recovery is
 * worth one too, or whoever saw the failure would keep looking for it.
 */
import type { MonitorTransition } from '../../shared/monitor.js';
import type { ApiEventEmitter } from '../app/events.js';

/** What the desktop shows for a transition; it opens the Monitor page. */
export interface MonitorNotice {
  title: string;
  body: string;
  page: 'monitor';
}

export function monitorNotice(t: MonitorTransition): MonitorNotice {
  if (t.to === 'ok')
    return {
      title: `derpdesk: DERP node ${t.regionCode}/${t.node} is ok again`,
      body: 'Every probe of it passes. The Monitor page shows how long it was failing.',
      page: 'monitor',
    };
  return {
    title: `derpdesk: DERP node ${t.regionCode}/${t.node} is failing`,
    body: `${t.error ?? 'a probe failed'}. The Monitor page shows its probes and history.`,
    page: 'monitor',
  };
}

/** Notifies each node that starts failing, and again when it recovers; returns the unsubscribe. */
export function noticeNodeChanges(events: ApiEventEmitter, notify: (n: MonitorNotice) => void): () => void {
  const onTransition = (t: MonitorTransition) => notify(monitorNotice(t));
  events.on('monitor.transition', onTransition);
  return () => events.off('monitor.transition', onTransition);
}
