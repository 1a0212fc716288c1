/**
 * Where a node's transition is announced. The browser build uses the Notification API once the user allowed it;
 * when it is not allowed (or absent, or refused as in the desktop app, whose main process shows its own) the store
 * shows an in-page banner instead. Tests install their own with setNotifier.
 */
import type { MonitorTransition } from '../../../shared/monitor.js';

export interface Notifier {
  /** Shows the notice, calling `open` when the user clicks it; false when it could not (the page then shows it). */
  notify(t: MonitorTransition, open: () => void): boolean;
}

export function noticeText(t: MonitorTransition): { title: string; body: string } {
  return t.to === 'failing'
    ? { title: `DERP node ${t.regionCode}/${t.node} is failing`, body: t.error ?? 'a probe failed' }
    : { title: `DERP node ${t.regionCode}/${t.node} is ok again`, body: 'every probe passes' };
}

export const browserNotifier: Notifier = {
  notify(t, open) {
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return false;
    const { title, body } = noticeText(t);
    const shown = new Notification(title, { body, tag: `derpdesk-${t.regionId}-${t.node}` });
    shown.onclick = () => {
      window.focus();
      shown.close();
      open();
    };
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
