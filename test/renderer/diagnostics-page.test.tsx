// @vitest-environment happy-dom
/** The Diagnostics page keeps a running check, its mode and its repeat schedule when the user visits another page. */
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../renderer/src/App.js';
import { useDiagnosticsStore } from '../../renderer/src/diagnostics/store.js';
import type { CheckHistoryEntry } from '../../shared/api.js';
import type { NodeReport } from '../../shared/diagnostics.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';
import { FakeApi } from './fake-api.js';

const INITIAL = useDiagnosticsStore.getState();
afterEach(() => {
  cleanup();
  useDiagnosticsStore.setState(INITIAL, true);
  window.location.hash = '';
});

const node: NodeReport = {
  regionId: 900,
  regionCode: 'r900',
  node: '900a',
  host: '127.0.0.1',
  steps: [{ step: 'dns', status: 'ok', detail: 'resolved' }],
};
const entry: CheckHistoryEntry = {
  id: 'e1',
  label: 'http://127.0.0.1:3340',
  startedAt: 1,
  finishedAt: 2,
  nodes: 1,
  fails: 0,
  warns: 0,
};

function go(hash: string) {
  act(() => {
    window.location.hash = hash;
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  });
}

describe('diagnostics page', () => {
  it('keeps a running check, its mode and its repeat schedule across page switches', async () => {
    let history: CheckHistoryEntry[] = [];
    const api = new FakeApi({
      'relay.getState': () => ({ status: 'stopped' }),
      'settings.get': () => ({ settings: DEFAULT_SETTINGS, file: '/s.json' }),
      'stats.history': () => [],
      'peers.list': () => [],
      'relay.mapEntry': () => ({ yaml: 'y', json: 'j', problems: [], fix: null }),
      'trust.get': () => ({ denied: [], mesh: [], forwardedIn: 0, forwardedOut: 0 }),
      'diagnostics.history': () => history,
      'diagnostics.run': () => ({ runId: 'run1' }),
      'diagnostics.get': () => ({
        entry,
        report: {
          startedAt: 1,
          finishedAt: 2,
          nodes: [node],
          summary: {
            udp: true,
            publicIPv4: null,
            publicIPv6: null,
            mappingVariesByDestIP: null,
            regionLatencyMs: {},
            preferredRegion: 900,
            problems: [],
          },
        },
      }),
      'diagnostics.export': () => '# derpdesk check:',
    });
    window.location.hash = '#diagnostics';
    render(<App transport={{ kind: 'electron', api }} />);
    // A relay checked by URL has a STUN port field (its STUN server need not be on 3478); a map does not.
    fireEvent.change(await screen.findByLabelText('STUN port'), { target: { value: '3479' } });
    fireEvent.change(screen.getByLabelText('Check'), { target: { value: 'url' } });
    expect(screen.queryByLabelText('STUN port')).toBeNull();
    fireEvent.change(screen.getByLabelText('Relay URL, map file or map URL'), {
      target: { value: 'https://example.com/derpmap' },
    });
    fireEvent.change(screen.getByLabelText('Repeat'), { target: { value: '15' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run checks' }));
    await screen.findByTestId('diag-running');
    act(() => api.emit('diagnostics.progress', { runId: 'run1', node }));

    go('#relay');
    expect(screen.queryByTestId('diag-running')).toBeNull();
    go('#diagnostics');
    expect(screen.getByTestId('diag-running').textContent).toBe('Running… 1 node reporting');
    expect((screen.getByLabelText('Check') as HTMLSelectElement).value).toBe('url');
    expect((screen.getByLabelText('Relay URL, map file or map URL') as HTMLInputElement).value).toBe(
      'https://example.com/derpmap',
    );
    expect((screen.getByLabelText('Repeat') as HTMLSelectElement).value).toBe('15');
    expect(screen.getByTestId('diag-results').textContent).toContain('900a');

    // The run finishes while another page is on show: the result is there on return.
    go('#map');
    history = [entry];
    act(() => api.emit('diagnostics.done', { runId: 'run1', entry }));
    await waitFor(() => expect(useDiagnosticsStore.getState().viewing).toBe('e1'));
    go('#diagnostics');
    expect(screen.getByTestId('diag-summary').textContent).toContain('Nearest DERP (home)900');
    await waitFor(() => expect(screen.getByTestId('diag-history').textContent).toContain('http://127.0.0.1:3340'));
    expect(screen.getByRole('button', { name: 'Run checks' })).toBeTruthy();
    expect(api.listenerCount('diagnostics.done')).toBe(1);
  });
});
