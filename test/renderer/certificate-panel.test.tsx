// @vitest-environment happy-dom
/** The dashboard's certificate card: fetched from the host when the relay runs, with its warnings and pin. */
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { CertificatePanel } from '../../renderer/src/relay/CertificatePanel.js';
import { useRelayStore } from '../../renderer/src/relay/store.js';
import type { RelayCertificate } from '../../shared/relay.js';
import { FakeApi } from './fake-api.js';

afterEach(() => {
  cleanup();
  useRelayStore.setState({ api: null, certificate: null });
});

const PIN = `sha256-raw:${'ab'.repeat(32)}`;

describe('certificate panel', () => {
  it('shows what the host says the relay serves, and asks again when the relay state changes', async () => {
    let cert: RelayCertificate | null = null;
    const api = new FakeApi({ 'relay.certificate': () => cert });
    useRelayStore.setState({ api });
    render(<CertificatePanel />);
    await useRelayStore.getState().refreshCertificate();
    expect(screen.queryByTestId('relay-certificate')).toBeNull();

    cert = {
      mode: 'self-signed',
      status: 'expiring',
      notAfter: '2026-12-10T00:00:00.000Z',
      daysLeft: 3,
      issuer: 'self-signed',
      names: ['203.0.113.7'],
      certName: PIN,
    };
    await useRelayStore.getState().refreshCertificate();
    await waitFor(() =>
      expect(screen.getByRole('alert').textContent).toBe(
        'Expires 2026-12-10, in 3 days: renew it and restart the relay',
      ),
    );
    expect(screen.getByTestId('relay-certificate').textContent).toContain(PIN);
    expect(screen.getByTestId('relay-certificate').textContent).toContain('203.0.113.7');

    cert = {
      mode: 'letsencrypt',
      status: 'failed',
      lastError: 'the CA refused the order',
      nextAttempt: '2026-12-02T12:00:00Z',
    };
    await useRelayStore.getState().refreshCertificate();
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/could not issue or renew/));
    expect(screen.getByTestId('relay-certificate').textContent).toContain('the CA refused the order');
  });
});
