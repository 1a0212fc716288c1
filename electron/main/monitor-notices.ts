/**
 * The Monitor page's periodic checks run in the main process, so they go on while the window is hidden in the tray;
 * when one turns a node from ok to failing, the user hears of it here. The monitor already rate-limits transitions
 * per node (electron/monitor/transitions.ts), so each one it sends becomes one notice. Recoveries are left to the
 * page: a notice is for something the user has to act on.
 */
import type { MonitorTransition } from '../../shared/monitor.js';
import type { ApiEventEmitter } from '../app/events.js';
import type { ShownNotice } from './desktop.js';

export function monitorNotice(t: MonitorTransition): ShownNotice | null {
  if (t.to !== 'failing') return null;
  return {
    title: `derpdesk: DERP node ${t.regionCode}/${t.node} is failing`,
    body: `${t.error ?? 'a probe failed'}. The Monitor page shows its probes and history.`,
    page: 'monitor',
  };
}

/** Notifies each node that starts failing; returns the unsubscribe. */
export function noticeFailingNodes(events: ApiEventEmitter, notify: (n: ShownNotice) => void): () => void {
  const onTransition = (t: MonitorTransition) => {
    const notice = monitorNotice(t);
    if (notice) notify(notice);
  };
  events.on('monitor.transition', onTransition);
  return () => events.off('monitor.transition', onTransition);
}
