/**
 * Where a node's transition is announced. The browser build uses the Notification API once the user allowed it;
 * when it is not allowed (or absent) the store shows an in-page banner instead. The Electron glue can install a
 * native notifier with setNotifier.
 */
import type { MonitorTransition } from '../../../shared/monitor.js';

export interface Notifier {
  /** Shows the notice; false when it could not (the page then shows it itself). */
  notify(t: MonitorTransition): boolean;
}

export function noticeText(t: MonitorTransition): { title: string; body: string } {
  return t.to === 'failing'
    ? { title: `DERP node ${t.regionCode}/${t.node} is failing`, body: t.error ?? 'a probe failed' }
    : { title: `DERP node ${t.regionCode}/${t.node} is ok again`, body: 'every probe passes' };
}

export const browserNotifier: Notifier = {
  notify(t) {
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return false;
    const { title, body } = noticeText(t);
    new Notification(title, { body, tag: `derpdesk-${t.regionId}-${t.node}` });
    return true;
  },
};

let current: Notifier = browserNotifier;

export function setNotifier(n: Notifier): void {
  current = n;
}

export function notifier(): Notifier {
  return current;
}
