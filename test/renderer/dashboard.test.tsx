// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../renderer/src/App.js';
import { useRelayStore } from '../../renderer/src/store/relay.js';
import type { RelayState, SettingsSnapshot } from '../../shared/api.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';
import { FakeApi, peer } from './fake-api.js';

afterEach(() => {
  cleanup();
  useRelayStore.setState({ api: null, peers: [], samples: [], state: { status: 'stopped' }, settings: null, mapEntry: null });
});

function setup(state: RelayState = { status: 'stopped' }, settings = DEFAULT_SETTINGS) {
  const snapshot: SettingsSnapshot = { settings, file: '/data/settings.json' };
  const running: RelayState = { status: 'running', endpoints: [{ role: 'derp', url: 'http://127.0.0.1:3340/derp' }], publicKey: 'nodekey:' + 'b'.repeat(64), startedAt: 1 };
  const api = new FakeApi({
    'relay.getState': () => state,
    'settings.get': () => snapshot,
    'stats.history': () => [],
    'peers.list': () => [],
    'map.entry': () => ({ yaml: 'regions:\n', json: '{}' }),
    'relay.start': () => running,
    'relay.stop': () => ({ status: 'stopped' }),
    'settings.save': () => ({ ok: false, errors: { regionCode: 'already used by another region' } }),
    'trust.get': () => ({
      denied: [{ key: 'nodekey:' + 'c'.repeat(64), remoteAddress: '198.51.100.9', reason: 'not in the allowlist /etc/derp/allow.txt', at: Date.now() - 5000 }],
      mesh: [{ url: 'https://derp2.example.com/derp', state: 'down', remoteClients: 0, forwardedOut: 12, lastError: 'connect ECONNREFUSED' }],
      forwardedIn: 3,
      forwardedOut: 12,
    }),
    'allowlist.get': () => ({ file: '/etc/derp/allow.txt', text: '# laptop\n' }),
    'allowlist.save': () => ({ ok: true }),
  });
  render(<App transport={{ kind: 'electron', api }} />);
  return api;
}

describe('relay dashboard', () => {
  it('switches the relay on and off and always shows its state', async () => {
    const api = setup();
    const status = await screen.findByTestId('relay-status');
    await waitFor(() => expect(status.textContent).toBe('Stopped'));
    const sw = screen.getByRole('switch', { name: 'Relay' });
    expect(sw.getAttribute('aria-checked')).toBe('false');
    fireEvent.click(sw);
    await waitFor(() => expect(status.textContent).toBe('Running on http://127.0.0.1:3340/derp'));
    expect(sw.getAttribute('aria-checked')).toBe('true');
    act(() => api.emit('relay.state', { status: 'failed', error: 'address :443 is already in use' }));
    expect(status.textContent).toBe('Failed: address :443 is already in use');
    expect(api.calls.map((c) => c.name)).toContain('relay.start');
  });

  it('shows validation messages beside fields as the user types, and server-side errors after saving', async () => {
    const api = setup();
    const listen = (await screen.findByLabelText('Listen address')) as HTMLInputElement;
    fireEvent.change(listen, { target: { value: 'not an address' } });
    expect(screen.getByTestId('error-listenAddr').textContent).toBe('use host:port, :port or [ipv6]:port');
    expect((screen.getByRole('button', { name: 'Save settings' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(listen, { target: { value: '0.0.0.0:3340' } });
    expect(screen.queryByTestId('error-listenAddr')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(screen.getByTestId('error-regionCode').textContent).toBe('already used by another region'));
    const saved = api.calls.find((c) => c.name === 'settings.save')!;
    expect((saved.args[0] as { listenAddr: string }).listenAddr).toBe('0.0.0.0:3340');
  });

  it('renders only a screenful of 10,000 peers and filters them', async () => {
    const api = setup();
    await screen.findByTestId('peers-count');
    act(() => api.emit('peers.snapshot', Array.from({ length: 10_000 }, (_, i) => peer(i + 1))));
    expect(screen.getByTestId('peers-count').textContent).toBe('10000 peers');
    expect(screen.queryAllByTestId('peer-row').length).toBeLessThan(60);
    fireEvent.change(screen.getByLabelText('Filter peers by key or address'), { target: { value: '10.0.39.16:' } });
    expect(screen.getByTestId('peers-count').textContent).toBe('1 peer of 10000');
  });

  it('shows the latest rates from stats samples', async () => {
    const api = setup();
    await screen.findByTestId('current-rate');
    act(() => api.emit('stats.sample', { t: Date.now(), bytesInPerSec: 2_500_000, bytesOutPerSec: 2_400_000, packetsInPerSec: 2000, packetsOutPerSec: 1900, dropsPerSec: 3, clients: 4, stunPerSec: 1 }));
    expect(screen.getByTestId('current-rate').textContent).toBe('in 2.50 MB/s · out 2.40 MB/s · 1.9k packets/s · 3 drops/s · 4 clients');
  });
});

describe('mesh and access panel', () => {
  it('shows mesh links, refused clients, and checks allowlist lines before saving', async () => {
    const api = setup({ status: 'stopped' }, { ...DEFAULT_SETTINGS, allowKeysFile: '/etc/derp/allow.txt' });
    expect((await screen.findByTestId('mesh-links')).textContent).toContain('down: connect ECONNREFUSED');
    expect(screen.getByTestId('denied-clients').textContent).toContain('not in the allowlist /etc/derp/allow.txt');
    const box = (await screen.findByLabelText('Allowlist')) as HTMLTextAreaElement;
    await waitFor(() => expect(box.value).toBe('# laptop\n'));
    fireEvent.change(box, { target: { value: '# laptop\nnodekey:1234\n' } });
    expect(screen.getByTestId('allowlist-problem').textContent).toBe('line 2: expected nodekey: followed by 64 hex characters');
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

describe('without an access token', () => {
  it('explains where to get one', () => {
    render(<App transport={{ kind: 'no-token' }} />);
    expect(screen.getByText(/needs an access token/)).toBeTruthy();
  });
});
