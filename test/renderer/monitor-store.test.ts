// @vitest-environment happy-dom
/**
 * The Monitor page's store against the fake API: it starts and stops the monitor with the form's source, follows
 * its events, turns transitions into banners unless the notifier shows them, and hands a failing node to the
 * diagnostics store.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useDiagnosticsStore } from '../../renderer/src/diagnostics/store.js';
import { browserNotifier, setNotifier } from '../../renderer/src/monitor/notifier.js';
import { useMonitorStore } from '../../renderer/src/monitor/store.js';
import type { MonitorSnapshot, MonitorTransition, NodeState, ProbeState } from '../../shared/monitor.js';
import { FakeApi } from './fake-api.js';

const failingNode: NodeState = {
  regionId: 902,
  regionCode: 'down',
  node: '902a',
  host: '127.0.0.1',
  status: 'failing',
  failingSince: 5,
  failures: [{ probe: 'derp/down/902a/tls', error: 'refused', since: 5 }],
  latencyMs: null,
};
const snap = (running: boolean): MonitorSnapshot => ({
  running,
  label: '/maps/derp.yaml',
  source: running ? { kind: 'file', path: '/maps/derp.yaml' } : null,
  startedAt: running ? 1 : null,
  mapError: null,
  nodes: running ? [failingNode] : [],
  probes: [],
});
const transition: MonitorTransition = {
  regionId: 902,
  regionCode: 'down',
  node: '902a',
  to: 'failing',
  at: 10,
  error: 'derp/down/902a/tls: refused',
};

let api: FakeApi;
let off: () => void;
beforeEach(() => {
  api = new FakeApi({
    'monitor.status': () => snap(false),
    'monitor.history': () => [],
    'monitor.start': () => snap(true),
    'monitor.stop': () => snap(false),
    'diagnostics.run': () => ({ runId: 'r1' }),
    'diagnostics.history': () => [],
  });
  useMonitorStore.setState({
    banners: [],
    snapshot: null,
    error: null,
    kind: 'file',
    value: '',
    region: '',
    intervalSec: 15,
  });
  useDiagnosticsStore.setState({ runId: null });
  off = useMonitorStore.getState().connect(api);
});
afterEach(() => {
  off();
  setNotifier(browserNotifier);
});

describe('monitor store', () => {
  it('loads the state and history, starts with the form, and says what is missing', async () => {
    await expect.poll(() => api.names()).toEqual(['monitor.status', 'monitor.history']);
    await useMonitorStore.getState().start();
    expect(useMonitorStore.getState().error).toBe('name a relay URL, a map file or a map URL');
    useMonitorStore.getState().setForm({ value: '/maps/derp.yaml', intervalSec: 5, region: 'down' });
    await useMonitorStore.getState().start();
    const call = api.calls.find((c) => c.name === 'monitor.start')!;
    expect(call.args).toEqual([{ source: { kind: 'file', path: '/maps/derp.yaml' }, intervalSec: 5, region: 'down' }]);
    expect(useMonitorStore.getState().snapshot?.running).toBe(true);
    api.emit('monitor.update', { ...snap(true), label: 'updated' });
    expect(useMonitorStore.getState().snapshot?.label).toBe('updated');
    await useMonitorStore.getState().stop();
    expect(useMonitorStore.getState().snapshot?.running).toBe(false);
  });

  it('shows a transition as a banner when the notifier cannot, and not when it can', () => {
    api.emit('monitor.transition', transition);
    expect(useMonitorStore.getState().banners).toEqual([transition]);
    useMonitorStore.getState().dismiss(0);
    expect(useMonitorStore.getState().banners).toEqual([]);
    const shown: MonitorTransition[] = [];
    setNotifier({
      notify: (t) => {
        shown.push(t);
        return true;
      },
    });
    api.emit('monitor.transition', { ...transition, to: 'ok' });
    expect(shown.map((t) => t.to)).toEqual(['ok']);
    expect(useMonitorStore.getState().banners).toEqual([]);
  });

  it('hands a failing node to the diagnostics page, which runs that node of the same source', async () => {
    const offDiag = useDiagnosticsStore.getState().connect(api);
    try {
      useMonitorStore.getState().setForm({ value: '/maps/derp.yaml' });
      await useMonitorStore.getState().start();
      useMonitorStore.getState().diagnose(failingNode);
      expect(window.location.hash).toBe('#diagnostics');
      await expect
        .poll(() => api.calls.find((c) => c.name === 'diagnostics.run')?.args)
        .toEqual([{ source: { kind: 'file', path: '/maps/derp.yaml' }, region: '902', node: '902a' }]);
    } finally {
      offDiag();
    }
  });

  it('diagnoses a failing node of a monitor this page did not start (reloaded, or another browser)', async () => {
    const offDiag = useDiagnosticsStore.getState().connect(api);
    try {
      const mapProbe: ProbeState = {
        name: 'derpmap-probe',
        class: 'derp_map',
        labels: {},
        node: '',
        regionId: 0,
        intervalMs: 3000,
        start: 1,
        end: 2,
        ok: true,
        latencyMs: 1,
        error: null,
        failingSince: null,
        attempts: { ok: 1, fail: 0 },
        seconds: { ok: 0.001, fail: 0 },
      };
      api.answers['monitor.status'] = () => ({
        ...snap(true),
        source: { kind: 'relay', url: 'https://derp.example.com' },
        probes: [mapProbe],
      });
      await useMonitorStore.getState().load();
      expect(useMonitorStore.getState()).toMatchObject({
        kind: 'relay',
        value: 'https://derp.example.com',
        intervalSec: 3,
      });
      api.emit('monitor.update', {
        ...snap(true),
        source: { kind: 'url', url: 'https://hs.example.com/derpmap.json' },
      });
      useMonitorStore.getState().diagnose(failingNode);
      await expect
        .poll(() => api.calls.find((c) => c.name === 'diagnostics.run')?.args)
        .toEqual([
          { source: { kind: 'url', url: 'https://hs.example.com/derpmap.json' }, region: '902', node: '902a' },
        ]);
    } finally {
      offDiag();
    }
  });

  it('runs the diagnostics of a failing node when its notice is clicked, and shows the page for a recovery', async () => {
    const offDiag = useDiagnosticsStore.getState().connect(api);
    const clicks: Array<() => void> = [];
    setNotifier({
      notify: (_t, open) => {
        clicks.push(open);
        return true;
      },
    });
    try {
      api.emit('monitor.update', snap(true));
      api.emit('monitor.transition', transition);
      api.emit('monitor.transition', { ...transition, to: 'ok' });
      window.location.hash = '#relay';
      clicks[0]();
      expect(window.location.hash).toBe('#diagnostics');
      await expect
        .poll(() => api.calls.find((c) => c.name === 'diagnostics.run')?.args)
        .toEqual([{ source: { kind: 'file', path: '/maps/derp.yaml' }, region: '902', node: '902a' }]);
      clicks[1]();
      expect(window.location.hash).toBe('#monitor');
    } finally {
      offDiag();
    }
  });

  it('shows a browser notification once allowed, whose click focuses the page and opens the node', () => {
    const shown: Array<{ title: string; body?: string; onclick: (() => void) | null; closed: boolean }> = [];
    class FakeNotification {
      static permission = 'granted';
      onclick: (() => void) | null = null;
      closed = false;
      constructor(
        public title: string,
        opts: { body?: string },
      ) {
        shown.push(Object.assign(this, { body: opts.body }));
      }
      close() {
        this.closed = true;
      }
    }
    vi.stubGlobal('Notification', FakeNotification);
    try {
      let opened = 0;
      expect(browserNotifier.notify(transition, () => opened++)).toBe(true);
      expect(shown.map((n) => [n.title, n.body])).toEqual([
        ['DERP node down/902a is failing', 'derp/down/902a/tls: refused'],
      ]);
      shown[0].onclick!();
      expect([opened, shown[0].closed]).toEqual([1, true]);
      FakeNotification.permission = 'denied';
      expect(browserNotifier.notify(transition, () => opened++)).toBe(false);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('replaces a diagnostics run still going with the clicked node, instead of doing nothing', async () => {
    const offDiag = useDiagnosticsStore.getState().connect(api);
    api.answers['diagnostics.cancel'] = (id) => {
      queueMicrotask(() => api.emit('diagnostics.done', { runId: id as string, entry: null, error: 'cancelled' }));
      return null;
    };
    try {
      useDiagnosticsStore.setState({ runId: 'r0' });
      api.emit('monitor.update', snap(true));
      useMonitorStore.getState().diagnose(failingNode);
      await expect
        .poll(() => api.calls.find((c) => c.name === 'diagnostics.run')?.args)
        .toEqual([{ source: { kind: 'file', path: '/maps/derp.yaml' }, region: '902', node: '902a' }]);
      expect(api.names().filter((n) => n.startsWith('diagnostics.'))).toEqual(
        expect.arrayContaining(['diagnostics.cancel', 'diagnostics.run']),
      );
      expect(api.calls.find((c) => c.name === 'diagnostics.cancel')?.args).toEqual(['r0']);
    } finally {
      offDiag();
    }
  });
});
