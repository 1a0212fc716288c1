/** The diagnostics store against the fake API: runs, their events, the repeat timer, and errors kept in state. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useDiagnosticsStore } from '../../renderer/src/diagnostics/store.js';
import { useMapStore } from '../../renderer/src/map/store.js';
import type { CheckHistoryEntry } from '../../shared/api.js';
import type { CheckReport, NodeReport } from '../../shared/diagnostics.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';
import { FakeApi, deferred } from './fake-api.js';

const node = (name: string, status: 'ok' | 'fail' = 'ok'): NodeReport => ({
  regionId: 900,
  regionCode: 'r900',
  node: name,
  host: '127.0.0.1',
  steps: [{ step: 'dns', status, detail: status }],
});
const report = (nodes: NodeReport[]): CheckReport => ({
  startedAt: 1,
  finishedAt: 2,
  nodes,
  summary: {
    udp: true,
    publicIPv4: null,
    publicIPv6: null,
    mappingVariesByDestIP: null,
    regionLatencyMs: {},
    preferredRegion: 900,
    problems: [],
  },
});
const entry = (id: string): CheckHistoryEntry => ({
  id,
  label: 'x',
  startedAt: 1,
  finishedAt: 2,
  nodes: 1,
  fails: 0,
  warns: 0,
});
const INITIAL = useDiagnosticsStore.getState();

let off: (() => void) | null = null;
let runs = 0;
function connect(over: Partial<Record<string, (...a: unknown[]) => unknown>> = {}) {
  runs = 0;
  const api = new FakeApi({
    'diagnostics.history': () => [entry('h1')],
    'diagnostics.run': () => ({ runId: `run${++runs}` }),
    'diagnostics.get': (id) => ({ entry: entry(id as string), report: report([node('900a')]) }),
    'diagnostics.export': (id, f) => `${f} of ${id}`,
    'diagnostics.cancel': () => true,
    ...over,
  });
  off = useDiagnosticsStore.getState().connect(api);
  return api;
}

beforeEach(() => useDiagnosticsStore.setState(INITIAL, true));
afterEach(() => {
  off?.();
  off = null;
  vi.useRealTimers();
});

describe('diagnostics store', () => {
  it('subscribes to the run events once and loads the history', async () => {
    const api = connect();
    expect(api.listenerCount('diagnostics.progress')).toBe(1);
    expect(api.listenerCount('diagnostics.done')).toBe(1);
    await expect.poll(() => useDiagnosticsStore.getState().history.map((h) => h.id)).toEqual(['h1']);
    off!();
    off = null;
    expect(api.listenerCount()).toBe(0);
  });

  it('runs the form request, collects progress for its run only, and shows the stored report when done', async () => {
    const api = connect();
    const s = useDiagnosticsStore.getState();
    s.setForm({ value: 'http://127.0.0.1:3340', region: '900' });
    await s.start();
    expect(api.calls.find((c) => c.name === 'diagnostics.run')?.args[0]).toEqual({
      source: { kind: 'relay', url: 'http://127.0.0.1:3340' },
      region: '900',
      bandwidthBytes: undefined,
    });
    expect(useDiagnosticsStore.getState().runId).toBe('run1');
    api.emit('diagnostics.progress', { runId: 'other', node: node('zzz') });
    api.emit('diagnostics.progress', { runId: 'run1', node: node('900a', 'fail') });
    api.emit('diagnostics.progress', { runId: 'run1', node: node('900b') });
    api.emit('diagnostics.progress', { runId: 'run1', node: node('900a') });
    expect(useDiagnosticsStore.getState().nodes.map((n) => [n.node, n.steps[0].status])).toEqual([
      ['900a', 'ok'],
      ['900b', 'ok'],
    ]);
    api.emit('diagnostics.done', { runId: 'run1', entry: entry('e1') });
    expect(useDiagnosticsStore.getState().runId).toBeNull();
    await expect.poll(() => useDiagnosticsStore.getState().viewing).toBe('e1');
    await expect.poll(() => useDiagnosticsStore.getState().exportText).toBe('markdown of e1');
    expect(useDiagnosticsStore.getState().report?.nodes.map((n) => n.node)).toEqual(['900a']);
    await useDiagnosticsStore.getState().setExportFormat('csv');
    expect(useDiagnosticsStore.getState().exportText).toBe('csv of e1');
  });

  it('keeps a region selected during a run when the finished run has it, and clears it for a run without it', async () => {
    const api = connect();
    const s = useDiagnosticsStore.getState();
    s.setForm({ value: 'http://127.0.0.1:3340' });
    s.selectRegion('901');
    await s.start();
    expect(useDiagnosticsStore.getState().selectedRegion).toBeNull();
    s.selectRegion('900');
    api.emit('diagnostics.done', { runId: 'run1', entry: entry('e1') });
    await expect.poll(() => useDiagnosticsStore.getState().viewing).toBe('e1');
    expect(useDiagnosticsStore.getState().selectedRegion).toBe('900');
    s.selectRegion(null);
    expect(useDiagnosticsStore.getState().selectedRegion).toBeNull();
    s.selectRegion('901');
    await s.show('h1');
    expect(useDiagnosticsStore.getState().selectedRegion).toBeNull();
  });

  it('keeps events that arrive before the run call answers', async () => {
    const answer = deferred<{ runId: string }>();
    const api = connect({ 'diagnostics.run': () => answer.promise });
    const s = useDiagnosticsStore.getState();
    s.setForm({ value: 'http://r' });
    const started = s.start();
    api.emit('diagnostics.progress', { runId: 'early', node: node('900a') });
    api.emit('diagnostics.done', { runId: 'early', entry: null, error: 'no route' });
    answer.resolve({ runId: 'early' });
    await started;
    const after = useDiagnosticsStore.getState();
    expect(after.nodes.map((n) => n.node)).toEqual(['900a']);
    expect(after.runId).toBeNull();
    expect(after.error).toBe('no route');
  });

  it('checks the map in the editor, and says so when none is open', async () => {
    const api = connect();
    useDiagnosticsStore.getState().setForm({ kind: 'editor' });
    useMapStore.setState({ map: null });
    await useDiagnosticsStore.getState().start();
    expect(useDiagnosticsStore.getState().error).toBe('open a map in the DERP map editor first');
    useMapStore.setState({ map: { Regions: {} } });
    await useDiagnosticsStore.getState().start();
    expect(api.calls.find((c) => c.name === 'diagnostics.run')?.args[0]).toMatchObject({
      source: { kind: 'map', map: { Regions: {} }, label: 'map in the editor' },
    });
    useMapStore.setState({ map: null });
  });

  it('repeats the newest request on its timer, never interrupting a run, and stops when disconnected', async () => {
    vi.useFakeTimers();
    const api = connect();
    const s = useDiagnosticsStore.getState();
    s.setForm({ value: 'http://a' });
    s.setRepeat(5);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(api.names().filter((n) => n === 'diagnostics.run')).toEqual([]); // nothing run yet: nothing to repeat
    await s.start();
    api.emit('diagnostics.done', { runId: 'run1', entry: null });
    // The form changes and a new run starts from it: the timer repeats that one (no stale request).
    s.setForm({ value: 'http://b' });
    await s.start();
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(api.calls.filter((c) => c.name === 'diagnostics.run').length).toBe(2); // run2 still going
    api.emit('diagnostics.done', { runId: 'run2', entry: null });
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    const reqs = api.calls.filter((c) => c.name === 'diagnostics.run');
    expect(reqs.length).toBe(3);
    expect(reqs[2].args[0]).toMatchObject({ source: { kind: 'relay', url: 'http://b' } });
    off!();
    off = null;
    await vi.advanceTimersByTimeAsync(15 * 60_000);
    expect(api.calls.filter((c) => c.name === 'diagnostics.run').length).toBe(3);
  });

  it('re-runs one node of the last request', async () => {
    const api = connect();
    useDiagnosticsStore.getState().setForm({ value: 'http://a', bandwidth: true });
    await useDiagnosticsStore.getState().start();
    api.emit('diagnostics.done', { runId: 'run1', entry: null });
    await useDiagnosticsStore.getState().rerunNode(node('900b'));
    expect(api.calls.filter((c) => c.name === 'diagnostics.run')[1].args[0]).toEqual({
      source: { kind: 'relay', url: 'http://a' },
      region: '900',
      node: '900b',
      bandwidthBytes: 8_000_000,
    });
  });

  it('sends the STUN port of a relay checked by URL, and refuses one that is not a port', async () => {
    const api = connect();
    const s = useDiagnosticsStore.getState();
    s.setForm({ value: 'http://127.0.0.1:3340', stunPort: '3479' });
    await s.start();
    expect(api.calls.find((c) => c.name === 'diagnostics.run')?.args[0]).toMatchObject({
      source: { kind: 'relay', url: 'http://127.0.0.1:3340', stunPort: 3479 },
    });
    api.emit('diagnostics.done', { runId: 'run1', entry: null });
    s.setForm({ stunPort: '70000' });
    await s.start();
    expect(useDiagnosticsStore.getState().error).toBe(
      'STUN port: give 1 to 65535, -1 to skip STUN, or leave it empty for 3478',
    );
    expect(api.calls.filter((c) => c.name === 'diagnostics.run')).toHaveLength(1);
  });

  it('checks this relay through its map entry, with its real ports and plain HTTP when TLS is off', async () => {
    const node = { Name: '900a', RegionID: 900, HostName: '127.0.0.1', DERPPort: 41000, STUNPort: 41001 };
    const map = { Regions: { '900': { RegionID: 900, RegionCode: 'home', RegionName: 'Home', Nodes: [node] } } };
    const api = connect({
      'relay.mapEntry': () => ({ yaml: '', json: JSON.stringify(map) }),
      'settings.get': () => ({ settings: { ...DEFAULT_SETTINGS, tlsMode: 'none' }, file: '/s.json' }),
    });
    await useDiagnosticsStore.getState().checkThisRelay();
    expect(api.calls.find((c) => c.name === 'diagnostics.run')?.args[0]).toEqual({
      source: { kind: 'map', map, label: 'this relay (127.0.0.1:41000)', scheme: 'http' },
    });
    expect(useDiagnosticsStore.getState().runId).toBe('run1');
    api.emit('diagnostics.done', { runId: 'run1', entry: null });
    api.answers['relay.mapEntry'] = () => Promise.reject(new Error('relay gone'));
    await useDiagnosticsStore.getState().checkThisRelay();
    expect(useDiagnosticsStore.getState().error).toBe('Could not check this relay: relay gone');
  });

  it('keeps what each compared run checked, so runs of different targets are not compared as one', async () => {
    connect({
      'diagnostics.get': (id) => ({ entry: { ...entry(id as string), label: `target ${id}` }, report: report([]) }),
    });
    await useDiagnosticsStore.getState().show('a');
    await useDiagnosticsStore.getState().compare('b');
    expect(useDiagnosticsStore.getState()).toMatchObject({
      viewingLabel: 'target a',
      compareWith: { label: 'target b' },
    });
    await useDiagnosticsStore.getState().show('c');
    expect(useDiagnosticsStore.getState().compareWith).toBeNull();
  });

  it('puts failed calls in state instead of leaving unhandled rejections', async () => {
    const api = connect({
      'diagnostics.history': () => Promise.reject(new Error('gone')),
      'diagnostics.run': () => Promise.reject(new Error('busy')),
      'diagnostics.get': () => Promise.reject(new Error('no such run')),
    });
    await expect.poll(() => useDiagnosticsStore.getState().error).toBe('Could not load the history: gone');
    useDiagnosticsStore.getState().setForm({ value: 'http://a' });
    await useDiagnosticsStore.getState().start();
    expect(useDiagnosticsStore.getState().error).toBe('busy');
    await useDiagnosticsStore.getState().show('x');
    expect(useDiagnosticsStore.getState().error).toBe('Could not load the run: no such run');
    await useDiagnosticsStore.getState().compare('x');
    expect(useDiagnosticsStore.getState().error).toBe('Could not load the run to compare: no such run');
    api.answers['diagnostics.run'] = () => ({ runId: 'r' });
    api.answers['diagnostics.cancel'] = () => Promise.reject(new Error('already finished'));
    await useDiagnosticsStore.getState().start();
    await useDiagnosticsStore.getState().cancel();
    expect(useDiagnosticsStore.getState().error).toBe('Could not cancel: already finished');
  });
});
