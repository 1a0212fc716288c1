/** The desktop's native notices for the monitor: one for a node that starts failing, one when it is ok again. */
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { noticeNodeChanges, type MonitorNotice } from '../../electron/main/monitor-notices.js';
import type { ApiEventEmitter } from '../../electron/app/events.js';

describe('monitor notices', () => {
  it('tells of a node that fails and of its recovery, each opening the Monitor page, until unsubscribed', () => {
    const events: ApiEventEmitter = new EventEmitter();
    const shown: MonitorNotice[] = [];
    const off = noticeNodeChanges(events, (n) => shown.push(n));
    const base = { regionId: 901, regionCode: 'fra', node: '901a', at: 1 };
    events.emit('monitor.transition', { ...base, to: 'failing', error: 'tls: certificate has expired' });
    events.emit('monitor.transition', { ...base, to: 'ok', at: 2 });
    off();
    events.emit('monitor.transition', { ...base, to: 'failing', at: 3 });
    expect(shown).toEqual([
      {
        title: 'derpdesk: DERP node fra/901a is failing',
        body: 'tls: certificate has expired. The Monitor page shows its probes and history.',
        page: 'monitor',
      },
      {
        title: 'derpdesk: DERP node fra/901a is ok again',
        body: 'Every probe of it passes. The Monitor page shows how long it was failing.',
        page: 'monitor',
      },
    ]);
  });
});
