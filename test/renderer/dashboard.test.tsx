// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Transport } from '../../renderer/src/api/index.js';
import type { BridgeStatus } from '../../renderer/src/api/ws-client.js';
import { App } from '../../renderer/src/App.js';
import { useRelayStore } from '../../renderer/src/relay/store.js';
import type { RelayState, SaveSettingsResult, SettingsSnapshot } from '../../shared/api.js';
import { DEFAULT_SETTINGS, type RelaySettings } from '../../shared/settings.js';
import { FakeApi, peer, sample } from './fake-api.js';

// happy-dom lays nothing out: give every element the size of the peers table's viewport, so the virtualiser
// has a real window to fill (without this it renders no rows at all, and a row-count test would prove nothing).
const VIEWPORT = 360;
beforeEach(() => {
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(VIEWPORT);
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1000);
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  useRelayStore.setState({
    api: null,
    ready: false,
    peers: [],
    samples: [],
    state: { status: 'stopped' },
    settings: null,
    mapEntry: null,
    error: null,
    busy: false,
  });
  window.location.hash = '';
});

const RUNNING: RelayState = {
  status: 'running',
  endpoints: [
    { role: 'derp', url: 'http://127.0.0.1:3340/derp' },
    { role: 'stun', url: 'stun:127.0.0.1:3478' },
  ],
  publicKey: 'nodekey:' + 'b'.repeat(64),
  startedAt: 1,
};

function makeApi(
  state: RelayState = { status: 'stopped' },
  settings: RelaySettings = DEFAULT_SETTINGS,
  snapshotExtra: Partial<SettingsSnapshot> = {},
) {
  const snapshot: SettingsSnapshot = { settings, file: '/data/settings.json', ...snapshotExtra };
  let entries = 0;
  return new FakeApi({
    'relay.getState': () => state,
    'settings.get': () => snapshot,
    'stats.history': () => [],
    'peers.list': () => [],
    'relay.mapEntry': () => {
      entries++;
      return {
        yaml: `regions:\n  900: # entry ${entries}\n`,
        json: `{"Regions":{"900":{}}, "n": ${entries}}`,
        problems: [],
        fix: null,
      };
    },
    'relay.start': () => RUNNING,
    'relay.stop': () => ({ status: 'stopped' }),
    'settings.save': (): SaveSettingsResult => ({
      ok: false,
      errors: { regionCode: 'already used by another region' },
    }),
    'trust.get': () => ({
      denied: [
        {
          key: 'nodekey:' + 'c'.repeat(64),
          remoteAddress: '198.51.100.9',
          reason: 'not in the allowlist /etc/derp/allow.txt',
          at: Date.now() - 5000,
        },
      ],
      mesh: [
        {
          url: 'https://derp2.example.com/derp',
          state: 'down',
          remoteClients: 0,
          forwardedOut: 12,
          lastError: 'connect ECONNREFUSED',
        },
      ],
      forwardedIn: 3,
      forwardedOut: 1,
    }),
    'allowlist.get': () => ({ file: '/etc/derp/allow.txt', text: '# laptop\n' }),
    'allowlist.save': () => ({ ok: true }),
  });
}

function setup(state?: RelayState, settings?: RelaySettings, snapshotExtra?: Partial<SettingsSnapshot>) {
  const api = makeApi(state, settings, snapshotExtra);
  render(<App transport={{ kind: 'electron', api }} />);
  return api;
}

/** Waits until the first load is done (the switch is enabled then). */
async function ready() {
  await waitFor(() =>
    expect((screen.getByRole('switch', { name: 'Relay' }) as HTMLButtonElement).disabled).toBe(false),
  );
}

const rowIds = () => screen.queryAllByTestId('peer-row').map((r) => Number(r.getAttribute('data-peer-id')));

describe('relay switch', () => {
  it('switches the relay on and off and always shows its state', async () => {
    const api = setup();
    const status = await screen.findByTestId('relay-status');
    await ready();
    expect(status.textContent).toBe('Stopped');
    const sw = screen.getByRole('switch', { name: 'Relay' });
    expect(sw.getAttribute('aria-checked')).toBe('false');
    fireEvent.click(sw);
    await waitFor(() => expect(status.textContent).toBe('Running on http://127.0.0.1:3340/derp, stun:127.0.0.1:3478'));
    expect(sw.getAttribute('aria-checked')).toBe('true');
    expect(screen.getByTestId('server-key').textContent).toBe(RUNNING.status === 'running' ? RUNNING.publicKey : '');
    expect(api.names()).toContain('relay.start');

    act(() => api.emit('relay.state', { status: 'stopping' }));
    expect(status.textContent).toBe('Stopping…');
    act(() => api.emit('relay.state', { status: 'starting' }));
    expect(status.textContent).toBe('Starting…');
    expect(sw.getAttribute('aria-checked')).toBe('true');
    act(() => api.emit('relay.state', { status: 'failed', error: 'address :443 is already in use' }));
    expect(status.textContent).toBe('Failed: address :443 is already in use');
    expect(sw.getAttribute('aria-checked')).toBe('false');
    expect(screen.queryByTestId('server-key')).toBeNull();

    act(() => api.emit('relay.state', RUNNING));
    await waitFor(() => expect((sw as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(sw);
    await waitFor(() => expect(status.textContent).toBe('Stopped'));
    expect(api.names().filter((n) => n === 'relay.stop').length).toBe(1);
  });

  it('shows an error when starting fails', async () => {
    const api = setup();
    api.answers['relay.start'] = () => Promise.reject(new Error('cannot read the key file'));
    await ready();
    fireEvent.click(screen.getByRole('switch', { name: 'Relay' }));
    expect((await screen.findByTestId('relay-error')).textContent).toBe('cannot read the key file');
  });
});

describe('settings form', () => {
  it('shows validation messages beside fields as the user types, and server-side errors after saving', async () => {
    const api = setup();
    const listen = (await screen.findByLabelText('Listen address')) as HTMLInputElement;
    fireEvent.change(listen, { target: { value: 'not an address' } });
    const err = screen.getByTestId('error-listenAddr');
    expect(err.textContent).toBe('use host:port, :port or [ipv6]:port');
    // Beside its field: in the same field group, and announced with the input.
    expect(err.closest('.field')).toBe(listen.closest('.field'));
    expect(listen.getAttribute('aria-invalid')).toBe('true');
    expect(listen.getAttribute('aria-describedby')).toContain(err.id);
    expect((screen.getByRole('button', { name: 'Save settings' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(listen, { target: { value: '0.0.0.0:3340' } });
    expect(screen.queryByTestId('error-listenAddr')).toBeNull();

    fireEvent.change(screen.getByLabelText('Region ID'), { target: { value: '0' } });
    expect(screen.getByTestId('error-regionId').textContent).toBe(
      'a positive whole number (900-999 for your own regions)',
    );
    fireEvent.change(screen.getByLabelText('Region ID'), { target: { value: '901' } });

    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() =>
      expect(screen.getByTestId('error-regionCode').textContent).toBe('already used by another region'),
    );
    expect(screen.getByTestId('error-regionCode').closest('.field')).toBe(
      screen.getByLabelText('Region code').closest('.field'),
    );
    const saved = api.calls.find((c) => c.name === 'settings.save')!;
    expect(saved.args[0]).toMatchObject({ listenAddr: '0.0.0.0:3340', regionId: 901 });
    // Editing clears the server's verdict until the next save.
    fireEvent.change(screen.getByLabelText('Region code'), { target: { value: 'other' } });
    expect(screen.queryByTestId('error-regionCode')).toBeNull();
  });

  it('shows the TLS file fields with their messages only for manual TLS', async () => {
    setup();
    const tls = (await screen.findByLabelText('TLS')) as HTMLSelectElement;
    expect(screen.queryByLabelText('Certificate file')).toBeNull();
    fireEvent.change(tls, { target: { value: 'manual' } });
    expect(screen.getByTestId('error-tlsCertFile').textContent).toBe('TLS needs a certificate file (PEM)');
    expect(screen.getByTestId('error-tlsKeyFile').textContent).toBe('TLS needs a private key file (PEM)');
    fireEvent.change(screen.getByLabelText('Certificate file'), { target: { value: '/etc/derp/cert.pem' } });
    expect(screen.queryByTestId('error-tlsCertFile')).toBeNull();
    expect(screen.getByLabelText('HTTP port (captive-portal checks)')).toBeTruthy();
  });

  it('confirms a save, says when it applies, and shows the settings file', async () => {
    const api = setup(RUNNING);
    api.answers['settings.save'] = (s) => ({
      ok: true,
      snapshot: { settings: s as RelaySettings, file: '/data/settings.json' },
    });
    await ready();
    expect(screen.getByTestId('settings-file').textContent).toBe('/data/settings.json');
    expect(screen.getByTestId('settings-apply-note').textContent).toMatch(/stop and start/);
    fireEvent.change(screen.getByLabelText('Region name'), { target: { value: 'Frankfurt' } });
    const entriesBefore = api.names().filter((n) => n === 'relay.mapEntry').length;
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect((await screen.findByTestId('settings-saved')).textContent).toBe(
      'Saved. Stop and start the relay to apply the changes.',
    );
    expect((screen.getByLabelText('Region name') as HTMLInputElement).value).toBe('Frankfurt');
    // The map entry follows the saved settings.
    await waitFor(() => expect(api.names().filter((n) => n === 'relay.mapEntry').length).toBe(entriesBefore + 1));
  });

  it('shows server errors for fields not currently shown, and a failed save', async () => {
    const api = setup();
    api.answers['settings.save'] = () => ({ ok: false, errors: { tlsKeyFile: 'cannot read /x.pem' } });
    await ready();
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect((await screen.findByTestId('error-tlsKeyFile')).textContent).toBe(
      'Certificate key file: cannot read /x.pem',
    );
    api.answers['settings.save'] = () => Promise.reject(new Error('disk full'));
    fireEvent.change(screen.getByLabelText('Region name'), { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect((await screen.findByTestId('settings-save-error')).textContent).toBe('Not saved: disk full');
  });

  it('warns when the previous settings file was unreadable and says where it was kept', async () => {
    setup(undefined, undefined, {
      loadProblem: {
        message: 'Settings could not be read: Unexpected token. Defaults are in use.',
        keptAs: '/data/settings.json.broken-1',
      },
    });
    const warning = await screen.findByTestId('settings-load-problem');
    expect(warning.textContent).toContain('Settings could not be read');
    expect(warning.textContent).toContain('/data/settings.json.broken-1');
    expect(warning.getAttribute('role')).toBe('alert');
  });
});

describe('peers table', () => {
  it('renders only a screenful of 10,000 peers, follows scrolling, and filters them', async () => {
    const api = setup();
    await ready();
    act(() =>
      api.emit(
        'peers.snapshot',
        Array.from({ length: 10_000 }, (_, i) => peer(i + 1)),
      ),
    );
    expect(screen.getByTestId('peers-count').textContent).toBe('10000 peers');
    const shown = rowIds();
    // 360 px / 34 px rows = 11 visible, plus overscan: a screenful, not ten thousand.
    expect(shown.length).toBeGreaterThanOrEqual(11);
    expect(shown.length).toBeLessThan(40);
    expect(shown[0]).toBe(1);
    expect(screen.getByTestId('peers-table').getAttribute('aria-rowcount')).toBe('10001');

    const scroller = screen.getByTestId('peers-scroller');
    scroller.scrollTop = 34 * 5000;
    fireEvent.scroll(scroller);
    await waitFor(() => expect(rowIds()).toContain(5001));
    expect(rowIds()).not.toContain(1);
    expect(rowIds().length).toBeLessThan(40);

    fireEvent.change(screen.getByLabelText('Filter peers by key or address'), { target: { value: '10.0.39.16:' } });
    expect(screen.getByTestId('peers-count').textContent).toBe('1 peer of 10000');
    await waitFor(() => expect(rowIds()).toEqual([10000]));
  });

  it('sorts by a column when its header button is clicked, both ways', async () => {
    const api = setup();
    await ready();
    act(() =>
      api.emit('peers.snapshot', [
        peer(1, { bytesIn: 500, bytesOut: 0 }),
        peer(2, { bytesIn: 9000, bytesOut: 0 }),
        peer(3, { bytesIn: 20, bytesOut: 0 }),
      ]),
    );
    expect(rowIds()).toEqual([1, 2, 3]); // oldest connection first
    const header = screen.getByRole('button', { name: /^Traffic/ });
    fireEvent.click(header);
    expect(rowIds()).toEqual([2, 1, 3]);
    expect(header.closest('[role="columnheader"]')!.getAttribute('aria-sort')).toBe('descending');
    fireEvent.click(header);
    expect(rowIds()).toEqual([3, 1, 2]);
    expect(header.closest('[role="columnheader"]')!.getAttribute('aria-sort')).toBe('ascending');
    fireEvent.click(screen.getByRole('button', { name: /^Node key/ }));
    expect(rowIds()).toEqual([1, 2, 3]);
    // The order holds when the next snapshot arrives.
    fireEvent.click(screen.getByRole('button', { name: /^Traffic/ }));
    act(() =>
      api.emit('peers.snapshot', [
        peer(1, { bytesIn: 500, bytesOut: 0 }),
        peer(2, { bytesIn: 10, bytesOut: 0 }),
        peer(3, { bytesIn: 20, bytesOut: 0 }),
      ]),
    );
    expect(rowIds()).toEqual([1, 3, 2]);
  });

  it('shows key, age, rate, traffic and drops in the row, flags, and copies the full node key', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const api = setup();
    await ready();
    const second = peer(2, {
      remoteAddress: '2001:db8::2',
      isMeshPeer: true,
      isProber: true,
      inactiveDuplicate: true,
      drops: 7,
      dropsBy: { unknownDest: 7, queueFull: 0, writeTimeout: 0 },
    });
    act(() => api.emit('peers.snapshot', [peer(1, { bytesIn: 0, bytesOut: 0 }), second]));
    await new Promise((r) => setTimeout(r, 100));
    act(() => api.emit('peers.snapshot', [peer(1, { bytesIn: 50_000, bytesOut: 0 }), second]));
    const [r1, r2] = screen.getAllByTestId('peer-row');
    const cells = (r: HTMLElement) =>
      within(r)
        .getAllByRole('cell')
        .map((c) => c.textContent);
    expect(cells(r1)).toHaveLength(5);
    expect(cells(r1)[0]).toContain('nodekey:00000000…');
    expect(cells(r1)[1]).toMatch(/ago$/);
    expect(cells(r1)[2]).toMatch(/^\d+(\.\d+)? KB\/s$/); // 50 kB in ~0.1 s
    expect(cells(r1)[3]).toBe('50.0 KB');
    expect(cells(r2)[2]).toBe('0 B/s');
    expect(cells(r2)[3]).toBe('60 B');
    expect(cells(r2)[4]).toBe('7');
    expect(cells(r2)[0]).toContain('mesh');
    expect(cells(r2)[0]).toContain('prober');
    expect(cells(r2)[0]).toContain('dup');
    fireEvent.click(within(r2).getByRole('button', { name: `Copy ${peer(2).key}` }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(peer(2).key));
    // Copying does not open the row's details.
    expect(screen.queryByTestId('peer-detail')).toBeNull();
    await waitFor(() =>
      expect(
        within(screen.getAllByTestId('peer-row')[1]).getByRole('button', { name: `Copy ${peer(2).key}` }).textContent,
      ).toBe('Copied'),
    );
  });

  it("opens a peer's detail row from its toggle or a click on the row: address, home, both directions, drops by reason", async () => {
    const api = setup();
    await ready();
    act(() =>
      api.emit('peers.snapshot', [
        peer(1),
        peer(2, {
          remoteAddress: '2001:db8::2',
          isMeshPeer: true,
          bytesIn: 2048,
          packetsIn: 1,
          bytesOut: 4096,
          packetsOut: 5,
          drops: 9,
          dropsBy: { unknownDest: 4, queueFull: 3, writeTimeout: 2 },
          rateLimitWaits: 1,
        }),
      ]),
    );
    const toggle = within(screen.getAllByTestId('peer-row')[1]).getByTestId('peer-expand');
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(toggle.getAttribute('aria-label')).toBe(`Details of ${peer(2).key.slice(0, 16)}…`);
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const detail = screen.getByTestId('peer-detail');
    expect(toggle.getAttribute('aria-controls')).toBe(detail.id);
    const pairs = [...detail.querySelectorAll('dt')].map(
      (dt) => `${dt.textContent}: ${dt.nextElementSibling!.textContent}`,
    );
    expect(pairs.slice(1)).toEqual([
      'Remote address: [2001:db8::2]:40002 over tcp',
      'Home: yes: this relay is its home',
      'Origin: mesh peer: another DERP server of this region',
      'In (sent by it): 2.05 KB, 1 packet',
      'Out (to it): 4.10 KB, 5 packets',
      'Dropped, sent by it: 4 to an unknown destination',
      'Dropped, addressed to it: 3 queue full, 2 write timeout',
      'Rate limit: paused 1 time (slows the sender; drops nothing)',
    ]);
    expect(pairs[0]).toMatch(/^Connected since: .+ \(.+ ago\)$/);
    // The expanded row is taller, and the rows after it move down by as much.
    await waitFor(() => expect(screen.getByTestId('peers-scroller').style.height).toBe(`${2 * 34 + 132 + 1}px`));
    fireEvent.click(toggle);
    expect(screen.queryByTestId('peer-detail')).toBeNull();
    fireEvent.click(within(screen.getAllByTestId('peer-row')[0]).getAllByRole('cell')[1]);
    expect(within(screen.getAllByTestId('peer-row')[0]).getByTestId('peer-detail')).toBeTruthy();
  });
});

describe('charts and map entry', () => {
  it('shows the latest rates from stats samples', async () => {
    const api = setup();
    await ready();
    expect(screen.getByTestId('current-rate').textContent).toBe('waiting for data');
    act(() =>
      api.emit(
        'stats.sample',
        sample(Date.now(), {
          bytesInPerSec: 2_500_000,
          bytesOutPerSec: 2_400_000,
          packetsInPerSec: 2000,
          packetsOutPerSec: 1900,
          dropsPerSec: 3,
          clients: 4,
          stunPerSec: 1,
        }),
      ),
    );
    expect(screen.getByTestId('current-rate').textContent).toBe(
      'in 2.50 MB/s · out 2.40 MB/s · 1.9k packets/s · 3 drops/s · 4 clients',
    );
    act(() => api.emit('stats.sample', sample(Date.now() + 1000, { bytesInPerSec: 100 })));
    expect(screen.getByTestId('current-rate').textContent).toBe(
      'in 100 B/s · out 0 B/s · 0 packets/s · 0 drops/s · 0 clients',
    );
    act(() => api.emit('stats.sample', sample(Date.now() + 2000, { clients: 1 })));
    expect(screen.getByTestId('current-rate').textContent).toMatch(/ · 1 client$/);
    expect(screen.getByTestId('chart-throughput')).toBeTruthy();
  });

  it('shows the YAML and JSON entries, refreshes them when the relay state changes, and copies them', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const api = setup();
    await ready();
    const pre = screen.getByTestId('map-entry');
    await waitFor(() => expect(pre.textContent).toMatch(/^regions:/));
    const first = pre.textContent;
    act(() => api.emit('relay.state', RUNNING));
    await waitFor(() => expect(pre.textContent).not.toBe(first));
    expect(pre.textContent).toMatch(/^regions:/);
    fireEvent.click(screen.getByRole('tab', { name: 'Tailscale JSON' }));
    expect(pre.textContent).toMatch(/^\{"Regions"/);
    expect(screen.getByRole('tab', { name: 'Tailscale JSON' }).getAttribute('aria-selected')).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: 'Copy Tailscale JSON' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(pre.textContent));
    // Arrow keys move between the tabs.
    fireEvent.keyDown(screen.getByRole('tab', { name: 'Tailscale JSON' }), { key: 'ArrowRight' });
    expect(pre.textContent).toMatch(/^regions:/);
  });
});

describe('map entry clients cannot use', () => {
  const problems = [
    { what: 'TLS is off. Tailscale clients reach DERP nodes only over HTTPS.', change: 'Use self-signed TLS.' },
    { what: 'Clients would dial localhost, a loopback address.', change: 'Set Host name.' },
  ];
  const fix = { changes: { tlsMode: 'self-signed' as const, hostName: '192.0.2.2', ipv4: '192.0.2.2' }, remaining: [] };

  it('says why and what to change, shows the proposed settings beside the current ones, and applies them', async () => {
    const api = setup();
    let fixed = false;
    api.answers['relay.mapEntry'] = () =>
      fixed
        ? { yaml: 'regions:\n', json: '{}', problems: [], fix: null }
        : { yaml: 'regions:\n', json: '{}', problems, fix };
    api.answers['settings.save'] = (s) => {
      fixed = true;
      return { ok: true, snapshot: { settings: s as RelaySettings, file: '/data/settings.json' } };
    };
    await ready();
    const box = await screen.findByTestId('entry-problems');
    // Said at the top of the dashboard too, with a way to the fix below.
    const notice = screen.getByTestId('entry-notice');
    expect(notice.textContent).toContain(
      'Tailscale clients cannot use this relay as it is set up: its DERP map entry has 2 problems.',
    );
    expect(notice.closest('.relay-switch')).toBeTruthy();
    fireEvent.click(within(notice).getByRole('button', { name: 'Show what to change' }));
    expect(document.activeElement).toBe(box);
    expect(box.textContent).toContain(
      'TLS is off. Tailscale clients reach DERP nodes only over HTTPS. Use self-signed TLS.',
    );
    expect(box.textContent).toContain('Clients would dial localhost');
    expect(screen.getByTestId('map-entry-hint').textContent).toMatch(/^Fix the problems above/);
    const rows = within(screen.getByTestId('entry-fix'))
      .getAllByRole('row')
      .slice(1)
      .map((r) => [...r.children].map((c) => c.textContent));
    expect(rows).toEqual([
      ['TLS', 'none', 'self-signed'],
      ['Public host name', 'localhost', '192.0.2.2'],
      ['Public IPv4', '(empty)', '192.0.2.2'],
    ]);
    fireEvent.click(screen.getByRole('button', { name: 'Apply these settings' }));
    expect((await screen.findByTestId('entry-fix-applied')).textContent).toBe(
      'Applied. Start the relay to serve the new entry.',
    );
    expect(api.calls.find((c) => c.name === 'settings.save')!.args[0]).toEqual({ ...DEFAULT_SETTINGS, ...fix.changes });
    await waitFor(() => expect(screen.queryByTestId('entry-problems')).toBeNull());
    expect(screen.queryByTestId('entry-notice')).toBeNull();
    expect(screen.getByTestId('map-entry-hint').textContent).toMatch(/^Paste it into the DERP map/);
    expect((screen.getByLabelText('TLS') as HTMLSelectElement).value).toBe('self-signed');
  });
});

describe('app shell', () => {
  it('explains where to get an access token when there is none', () => {
    render(<App transport={{ kind: 'no-token' }} />);
    expect(screen.getByTestId('no-token').textContent).toMatch(
      /URL printed by derpdesk host.*contains the access token/,
    );
    expect(screen.queryByRole('switch')).toBeNull();
  });

  it('says when the bridge to the host is down, and reloads the state when it is back', async () => {
    const api = makeApi();
    let push: (s: BridgeStatus) => void = () => {};
    const transport: Transport = {
      kind: 'web',
      api,
      onStatus: (l) => {
        push = l;
        l('open');
        return () => {};
      },
    };
    render(<App transport={transport} />);
    await ready();
    expect(screen.queryByTestId('bridge-status')).toBeNull();
    const loads = () => api.names().filter((n) => n === 'relay.getState').length;
    const before = loads();
    act(() => push('closed'));
    expect(screen.getByTestId('bridge-status').textContent).toMatch(/^Disconnected from the derpdesk host/);
    api.answers['relay.getState'] = () => RUNNING;
    act(() => push('open'));
    expect(screen.queryByTestId('bridge-status')).toBeNull();
    await waitFor(() => expect(screen.getByTestId('relay-status').textContent).toMatch(/^Running on/));
    expect(loads()).toBe(before + 1);
    act(() => push('refused'));
    expect(screen.getByTestId('bridge-status').textContent).toMatch(/refused this page/);
  });

  it('has a navigation between the Relay, DERP map and Diagnostics pages', async () => {
    setup();
    await ready();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    const go = (hash: string) =>
      act(() => {
        window.location.hash = hash;
        window.dispatchEvent(new HashChangeEvent('hashchange'));
      });
    expect(within(nav).getByRole('link', { name: 'Relay' }).getAttribute('aria-current')).toBe('page');
    go('#map');
    expect(within(nav).getByRole('link', { name: 'DERP map' }).getAttribute('aria-current')).toBe('page');
    expect(within(nav).getByRole('link', { name: 'Relay' }).getAttribute('aria-current')).toBeNull();
    expect(screen.queryByTestId('relay-status')).toBeNull();
    go('#diagnostics');
    expect(await screen.findByRole('heading', { name: 'Diagnostics' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Run checks' })).toBeTruthy();
    go('#relay');
    expect(await screen.findByTestId('relay-status')).toBeTruthy();
  });

  it('unsubscribes from events on unmount', async () => {
    const api = setup();
    await ready();
    // The relay store's three events, the diagnostics store's two, the monitor store's two and the desktop
    // settings' one (subscribed once by the app, not per page).
    expect(api.listenerCount()).toBe(8);
    cleanup();
    expect(api.listenerCount()).toBe(0);
  });
});

describe('mesh and access panel', () => {
  it('shows mesh links, refused clients, and checks allowlist lines before saving', async () => {
    const api = setup({ status: 'stopped' }, { ...DEFAULT_SETTINGS, allowKeysFile: '/etc/derp/allow.txt' });
    expect((await screen.findByTestId('mesh-links')).textContent).toContain('down: connect ECONNREFUSED');
    expect(screen.getByTestId('denied-clients').textContent).toContain('not in the allowlist /etc/derp/allow.txt');
    expect(screen.getByText(/^Forwarded through the mesh/).textContent).toBe(
      'Forwarded through the mesh: 1 packet out, 3 in.',
    );
    const box = (await screen.findByLabelText('Allowlist')) as HTMLTextAreaElement;
    await waitFor(() => expect(box.value).toBe('# laptop\n'));
    fireEvent.change(box, { target: { value: '# laptop\nnodekey:1234\n' } });
    expect(screen.getByTestId('allowlist-problem').textContent).toBe(
      'line 2: expected nodekey: followed by 64 hex characters',
    );
    expect((screen.getByRole('button', { name: 'Save allowlist' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(box, { target: { value: `nodekey:${'d'.repeat(64)}\n` } });
    fireEvent.click(screen.getByRole('button', { name: 'Save allowlist' }));
    await waitFor(() => expect(api.calls.some((c) => c.name === 'allowlist.save')).toBe(true));
  });

  it('turns a headscale URL into its /verify endpoint', async () => {
    setup();
    const field = (await screen.findByLabelText('Verify clients with URL')) as HTMLInputElement;
    fireEvent.change(field, { target: { value: 'https://hs.example.com/' } });
    fireEvent.click(screen.getByRole('button', { name: 'headscale preset (append /verify)' }));
    expect(field.value).toBe('https://hs.example.com/verify');
  });
});
