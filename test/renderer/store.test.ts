import { afterEach, describe, expect, it, vi } from 'vitest';
import { sortAndFilter } from '../../renderer/src/relay/PeersTable.js';
import {
  chartSamples,
  PeerRates,
  SampleRing,
  TRUST_REFRESH_MS,
  useRelayStore,
  type PeerRow,
} from '../../renderer/src/relay/store.js';
import { STATS_HISTORY_SECONDS, type RelayState, type StatsSample } from '../../shared/api.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';
import { FakeApi, deferred, peer, sample } from './fake-api.js';

const times = (s: StatsSample[]) => s.map((x) => x.t);
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('SampleRing', () => {
  it('caps at 300 samples (5 minutes at 1 s), oldest first, across many wraps', () => {
    expect(STATS_HISTORY_SECONDS).toBe(300);
    const ring = new SampleRing();
    let out: StatsSample[] = [];
    for (let i = 0; i < 1000; i++) out = ring.push(sample(i));
    expect(out.length).toBe(300);
    expect(ring.length).toBe(300);
    expect(out[0].t).toBe(700);
    expect(out[299].t).toBe(999);
    expect(times(out)).toEqual(Array.from({ length: 300 }, (_, i) => 700 + i));
    expect(ring.last?.t).toBe(999);
  });

  it('returns a fresh array each push, so React sees a new value', () => {
    const ring = new SampleRing(3);
    const a = ring.push(sample(1));
    const b = ring.push(sample(2));
    expect(a).not.toBe(b);
    expect(times(a)).toEqual([1]);
    expect(times(b)).toEqual([1, 2]);
  });

  it('replaces its contents with fetched history but keeps samples newer than it', () => {
    const ring = new SampleRing(5);
    ring.push(sample(10));
    ring.push(sample(11)); // arrived as events while the history was being fetched
    expect(times(ring.reset([sample(8), sample(9), sample(10)]))).toEqual([8, 9, 10, 11]);
    // History older than what is held: the held samples after its end stay, capped at the capacity.
    expect(times(ring.reset(Array.from({ length: 9 }, (_, i) => sample(i))))).toEqual([7, 8, 9, 10, 11]);
    const fresh = new SampleRing(5);
    expect(times(fresh.reset(Array.from({ length: 9 }, (_, i) => sample(i))))).toEqual([4, 5, 6, 7, 8]);
    expect(times(fresh.push(sample(9)))).toEqual([5, 6, 7, 8, 9]);
  });
});

describe('PeerRates', () => {
  it('computes bytes/s per peer from successive snapshots, matched by connection id', () => {
    const rates = new PeerRates();
    expect(rates.apply([peer(1)], 0)[0].rate).toBe(0); // first sight: no rate yet
    const next = rates.apply([peer(1, { bytesIn: 10 + 3000, bytesOut: 20 + 1000 }), peer(2)], 2000);
    expect(next.map((p) => p.rate)).toEqual([2000, 0]);
    // A reconnect with the same key is a new id: no rate from the old connection's counters.
    const again = rates.apply([peer(3, { key: peer(1).key, bytesIn: 1e9 })], 3000);
    expect(again[0].rate).toBe(0);
    // A peer that vanished and came back starts over.
    expect(rates.apply([peer(1, { bytesIn: 1e6 })], 4000)[0].rate).toBe(0);
  });

  it('never reports a negative rate', () => {
    const rates = new PeerRates();
    rates.apply([peer(1, { bytesIn: 5000 })], 0);
    expect(rates.apply([peer(1, { bytesIn: 100 })], 1000)[0].rate).toBe(0);
  });
});

describe('sortAndFilter', () => {
  const rows: PeerRow[] = [peer(3), peer(1), peer(2), peer(260)].map((p) => ({ ...p, rate: (p.id % 7) * 5 }));
  it('sorts by any column, both ways, ties by id', () => {
    expect(sortAndFilter(rows, '', 'rate', true).map((p) => p.id)).toEqual([3, 2, 1, 260]);
    expect(sortAndFilter(rows, '', 'connectedAt', false).map((p) => p.id)).toEqual([1, 2, 3, 260]);
    expect(sortAndFilter(rows, '', 'connectedAt', true).map((p) => p.id)).toEqual([260, 3, 2, 1]);
  });

  it('sorts by traffic, bytes both ways together', () => {
    const list: PeerRow[] = [
      { ...peer(1, { bytesIn: 10, bytesOut: 500 }), rate: 0 },
      { ...peer(2, { bytesIn: 400, bytesOut: 0 }), rate: 0 },
      { ...peer(3, { bytesIn: 0, bytesOut: 0 }), rate: 0 },
    ];
    expect(sortAndFilter(list, '', 'traffic', true).map((p) => p.id)).toEqual([1, 2, 3]);
  });

  it('filters by key or address:port, case-insensitively, including [ipv6]:port', () => {
    expect(sortAndFilter(rows, '10.0.0.2:', 'connectedAt', false).map((p) => p.id)).toEqual([2]);
    expect(sortAndFilter(rows, '0003', 'key', false).map((p) => p.id)).toEqual([3]);
    expect(sortAndFilter(rows, '  NODEKEY:0000', 'key', false).length).toBe(4);
    const v6: PeerRow = { ...peer(9, { remoteAddress: '2001:db8::9', remotePort: 41000 }), rate: 0 };
    expect(sortAndFilter([...rows, v6], '[2001:DB8::9]:41000', 'key', false).map((p) => p.id)).toEqual([9]);
    expect(sortAndFilter(rows, 'no such peer', 'key', false)).toEqual([]);
  });
});

describe('relay store', () => {
  let off: (() => void) | null = null;
  afterEach(() => {
    off?.();
    off = null;
  });

  function connect(over: Partial<Record<string, (...a: unknown[]) => unknown>> = {}) {
    const api = new FakeApi({
      'relay.getState': () => ({ status: 'stopped' }),
      'settings.get': () => ({ settings: DEFAULT_SETTINGS, file: '/s.json' }),
      'stats.history': () => [sample(1), sample(2)],
      'peers.list': () => [peer(1)],
      'relay.mapEntry': () => ({ yaml: 'y', json: 'j' }),
      ...over,
    });
    off = useRelayStore.getState().connect(api);
    return api;
  }

  it('loads state, settings, history, peers and the map entry', async () => {
    const api = connect();
    await expect.poll(() => useRelayStore.getState().ready).toBe(true);
    const s = useRelayStore.getState();
    expect(times(s.samples)).toEqual([1, 2]);
    expect(s.peers.map((p) => p.id)).toEqual([1]);
    expect(s.settings?.file).toBe('/s.json');
    await expect.poll(() => useRelayStore.getState().mapEntry).toEqual({ yaml: 'y', json: 'j' });
    expect(api.listenerCount()).toBe(3);
    off!();
    off = null;
    expect(api.listenerCount()).toBe(0);
  });

  it('keeps 300 samples and commits exactly one store update per sample', async () => {
    const api = connect();
    await expect.poll(() => useRelayStore.getState().ready).toBe(true);
    await tick();
    let updates = 0;
    const unsub = useRelayStore.subscribe(() => updates++);
    for (let i = 0; i < 400; i++) api.emit('stats.sample', sample(1000 + i));
    unsub();
    expect(updates).toBe(400);
    const s = useRelayStore.getState().samples;
    expect(s.length).toBe(300);
    expect(s[0].t).toBe(1100);
    expect(s[299].t).toBe(1399);
  });

  it('adds per-peer rates to snapshots', async () => {
    const api = connect();
    await expect.poll(() => useRelayStore.getState().ready).toBe(true);
    api.emit('peers.snapshot', [peer(1, { bytesIn: 0, bytesOut: 0 })]);
    await new Promise((r) => setTimeout(r, 200));
    api.emit('peers.snapshot', [peer(1, { bytesIn: 100_000, bytesOut: 0 })]);
    const rate = useRelayStore.getState().peers[0].rate;
    // 100 kB over roughly 0.2 s of wall clock
    expect(rate).toBeGreaterThan(100_000);
    expect(rate).toBeLessThan(600_000);
  });

  it('does not let a slow initial fetch overwrite a newer state event, and refreshes the map entry on state changes', async () => {
    const slow = deferred<RelayState>();
    let entries = 0;
    const api = connect({
      'relay.getState': () => slow.promise,
      'relay.mapEntry': () => ({ yaml: `y${++entries}`, json: '{}' }),
    });
    const running: RelayState = { status: 'running', endpoints: [], publicKey: 'nodekey:00', startedAt: 1 };
    api.emit('relay.state', running);
    slow.resolve({ status: 'stopped' });
    await expect.poll(() => useRelayStore.getState().ready).toBe(true);
    expect(useRelayStore.getState().state).toEqual(running);
    const before = api.names().filter((n) => n === 'relay.mapEntry').length;
    api.emit('relay.state', { status: 'stopping' });
    await expect.poll(() => api.names().filter((n) => n === 'relay.mapEntry').length).toBe(before + 1);
  });

  it('keeps the settings object when a reload brings the same settings (so unsaved edits survive a reconnect)', async () => {
    connect();
    await expect.poll(() => useRelayStore.getState().ready).toBe(true);
    const first = useRelayStore.getState().settings;
    await useRelayStore.getState().reload();
    expect(useRelayStore.getState().settings).toBe(first);
  });

  it('reports a failed load instead of leaving an unhandled rejection', async () => {
    connect({ 'settings.get': () => Promise.reject(new Error('host went away')) });
    await expect.poll(() => useRelayStore.getState().error).toBe("Could not load the relay's state: host went away");
    expect(useRelayStore.getState().ready).toBe(false);
  });

  it('toggles: start when stopped or failed, stop when running, and shows call errors', async () => {
    const api = connect({
      'relay.getState': () => ({ status: 'failed', error: 'x' }),
      'relay.start': () => Promise.reject(new Error('address in use')),
      'relay.stop': () => ({ status: 'stopped' }),
    });
    await expect.poll(() => useRelayStore.getState().ready).toBe(true);
    await useRelayStore.getState().toggle();
    expect(api.names()).toContain('relay.start');
    expect(useRelayStore.getState().error).toBe('address in use');
    expect(useRelayStore.getState().busy).toBe(false);
    api.emit('relay.state', { status: 'running', endpoints: [], publicKey: 'k', startedAt: 1 });
    await useRelayStore.getState().toggle();
    expect(api.names()).toContain('relay.stop');
    expect(useRelayStore.getState().state).toEqual({ status: 'stopped' });
  });

  const trust = (n: number) => ({ denied: [], mesh: [], forwardedIn: n, forwardedOut: n });

  it('refreshes trust data on pushed events only: relay.state, and stats.sample at most once per TRUST_REFRESH_MS', async () => {
    let n = 0;
    const api = connect({ 'trust.get': () => trust(++n) });
    await expect.poll(() => useRelayStore.getState().trust?.forwardedIn).toBe(1);
    const asked = () => api.names().filter((c) => c === 'trust.get').length;
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'setTimeout'] });
    try {
      // No event, no call: there is no timer of its own.
      await vi.advanceTimersByTimeAsync(10 * TRUST_REFRESH_MS);
      expect(asked()).toBe(1);
      // One sample a second, as a running relay pushes them: one refresh per TRUST_REFRESH_MS.
      for (let i = 0; i < 6; i++) {
        api.emit('stats.sample', sample(Date.now()));
        await vi.advanceTimersByTimeAsync(1000);
      }
      expect(asked()).toBe(1 + 6000 / TRUST_REFRESH_MS);
      expect(useRelayStore.getState().trust?.forwardedIn).toBe(asked());
      api.emit('relay.state', { status: 'stopped' });
      await vi.advanceTimersByTimeAsync(0);
      expect(asked()).toBe(2 + 6000 / TRUST_REFRESH_MS);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps a failed trust load as a message of its own, not the relay error', async () => {
    connect({ 'trust.get': () => Promise.reject(new Error('host busy')) });
    await expect
      .poll(() => useRelayStore.getState().trustError)
      .toBe('Could not load the mesh and access data: host busy');
    expect(useRelayStore.getState().error).toBeNull();
  });

  it('saves settings: confirmation and new snapshot, field errors, or a failed call', async () => {
    const api = connect({ 'settings.save': (s) => ({ ok: true, snapshot: { settings: s, file: '/s.json' } }) });
    await expect.poll(() => useRelayStore.getState().ready).toBe(true);
    const draft = { ...DEFAULT_SETTINGS, regionName: 'Frankfurt' };
    await useRelayStore.getState().saveSettings(draft);
    expect(useRelayStore.getState().settingsSave).toEqual({
      saving: false,
      saved: 'Saved. The changes apply the next time the relay starts.',
      problems: null,
      error: null,
    });
    expect(useRelayStore.getState().settings?.settings.regionName).toBe('Frankfurt');
    api.answers['settings.save'] = () => ({ ok: false, errors: { regionCode: 'taken' } });
    await useRelayStore.getState().saveSettings(draft);
    expect(useRelayStore.getState().settingsSave.problems).toEqual({ regionCode: 'taken' });
    api.answers['settings.save'] = () => Promise.reject(new Error('disk full'));
    await useRelayStore.getState().saveSettings(draft);
    expect(useRelayStore.getState().settingsSave.error).toBe('Not saved: disk full');
    useRelayStore.getState().clearSettingsSave();
    expect(useRelayStore.getState().settingsSave).toEqual({ saving: false, saved: null, problems: null, error: null });
  });

  it('loads the allowlist named in the settings and saves it, keeping the saved text', async () => {
    const api = connect({
      'settings.get': () => ({ settings: { ...DEFAULT_SETTINGS, allowKeysFile: '/allow.txt' }, file: '/s.json' }),
      'allowlist.get': () => ({ file: '/allow.txt', text: '# none\n' }),
      'allowlist.save': () => ({ ok: false, problems: ['line 1: bad'] }),
    });
    await expect.poll(() => useRelayStore.getState().allowList).toEqual({ file: '/allow.txt', text: '# none\n' });
    await useRelayStore.getState().saveAllowList('x');
    expect(useRelayStore.getState().allowListSave.problems).toEqual(['line 1: bad']);
    api.answers['allowlist.save'] = () => ({ ok: true });
    await useRelayStore.getState().saveAllowList('# two\n');
    expect(useRelayStore.getState().allowListSave.saved).toBe('Saved; the relay applies it within a second.');
    expect(useRelayStore.getState().allowList?.text).toBe('# two\n');
    api.answers['allowlist.save'] = () => Promise.reject(new Error('permission denied'));
    await useRelayStore.getState().saveAllowList('# three\n');
    expect(useRelayStore.getState().allowListSave.error).toBe('Not saved: permission denied');
  });

  it("applies the map entry's proposed settings and restarts a running relay with them, in that order", async () => {
    const running: RelayState = { status: 'running', endpoints: [], publicKey: 'k', startedAt: 1 };
    const fix = { changes: { tlsMode: 'self-signed' as const, listenAddr: ':3340' }, remaining: [] };
    const api = connect({
      'relay.getState': () => running,
      'relay.mapEntry': () => ({ yaml: 'y', json: 'j', problems: [{ what: 'TLS is off.', change: 'x' }], fix }),
      'settings.save': (s) => ({ ok: true, snapshot: { settings: s, file: '/s.json' } }),
      'relay.stop': () => ({ status: 'stopped' }),
      'relay.start': () => running,
    });
    await expect.poll(() => useRelayStore.getState().mapEntry?.fix).toEqual(fix);
    await useRelayStore.getState().applyEntryFix();
    const order = api.names().filter((n) => ['settings.save', 'relay.stop', 'relay.start'].includes(n));
    expect(order).toEqual(['settings.save', 'relay.stop', 'relay.start']);
    expect(api.calls.find((c) => c.name === 'settings.save')!.args[0]).toEqual({
      ...DEFAULT_SETTINGS,
      tlsMode: 'self-signed',
      listenAddr: ':3340',
    });
    const s = useRelayStore.getState();
    expect(s.settings?.settings.tlsMode).toBe('self-signed');
    expect(s.entryFix.saved).toBe('Applied: the relay restarted with the new settings.');
    expect(s.busy).toBe(false);

    api.answers['relay.start'] = () => ({ status: 'failed', error: 'address in use' });
    await useRelayStore.getState().applyEntryFix();
    expect(useRelayStore.getState().entryFix.error).toBe(
      'Not applied: saved, but the relay did not start again: address in use',
    );
  });

  it('shows the 1 h and 24 h windows from the host, refreshed once a step has passed, and keeps the 5 min ring', async () => {
    let clock = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => clock);
    const api = connect({
      'stats.history': (w) => (w === '5m' ? [sample(1), sample(2)] : [sample(w === '1h' ? 10_000 : 120_000)]),
    });
    await expect.poll(() => useRelayStore.getState().ready).toBe(true);
    const asked = () => api.calls.filter((c) => c.name === 'stats.history').map((c) => c.args[0]);
    expect(asked()).toEqual(['5m']);
    await useRelayStore.getState().setChartWindow('1h');
    expect(asked()).toEqual(['5m', '1h']);
    expect(times(useRelayStore.getState().windowSamples)).toEqual([10_000]);
    expect(useRelayStore.getState().chartWindow).toBe('1h');

    api.emit('stats.sample', sample(3));
    expect(asked()).toEqual(['5m', '1h']); // the 10 s step is not over yet
    expect(times(useRelayStore.getState().samples)).toEqual([1, 2, 3]);
    clock += 10_000;
    api.emit('stats.sample', sample(4));
    expect(asked()).toEqual(['5m', '1h', '1h']);

    await useRelayStore.getState().setChartWindow('24h');
    expect(times(useRelayStore.getState().windowSamples)).toEqual([120_000]);
    await useRelayStore.getState().setChartWindow('5m');
    clock += 600_000;
    api.emit('stats.sample', sample(5));
    expect(asked()).toEqual(['5m', '1h', '1h', '24h']);
    expect(times(useRelayStore.getState().samples)).toEqual([1, 2, 3, 4, 5]);
    vi.restoreAllMocks();
  });

  it('draws a coarse window from the 1 s samples while they still hold everything since the app started', () => {
    const fine = [1_000, 2_000, 3_000].map((t) => sample(t));
    const coarse = [sample(10_000)];
    const shown = (chartWindow: '5m' | '1h' | '24h', samples: StatsSample[]) =>
      times(chartSamples({ chartWindow, samples, windowSamples: coarse }));
    expect(shown('1h', fine)).toEqual([1_000, 2_000, 3_000]);
    expect(shown('24h', fine)).toEqual([1_000, 2_000, 3_000]);
    const full = Array.from({ length: STATS_HISTORY_SECONDS }, (_, i) => sample((i + 1) * 1_000));
    expect(shown('1h', full)).toEqual([10_000]);
    expect(shown('5m', full)).toHaveLength(STATS_HISTORY_SECONDS);
  });
});
