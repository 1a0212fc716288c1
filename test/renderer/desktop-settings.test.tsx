// @vitest-environment happy-dom
/**
 * The desktop app's settings on the relay page: start at login and keep running in the tray, applied as soon as a
 * box is ticked, kept in step with the native menu, and absent in a browser on `derpdesk host`.
 */
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { DesktopAppSettings } from '../../shared/api.js';
import { DesktopSettingsCard } from '../../renderer/src/desktop/DesktopSettingsCard.js';
import { useDesktopStore } from '../../renderer/src/desktop/store.js';
import { FakeApi } from './fake-api.js';

let off: (() => void) | null = null;
afterEach(() => {
  off?.();
  off = null;
  cleanup();
});

function desktopApi(initial: DesktopAppSettings) {
  let current = initial;
  return new FakeApi({
    'desktop.settings': () => current,
    'desktop.saveSettings': (patch) => (current = { ...current, ...(patch as Partial<DesktopAppSettings>) }),
  });
}

const loginBox = () => screen.getByRole('checkbox', { name: 'Start derpdesk at login' }) as HTMLInputElement;
const trayBox = () =>
  screen.getByRole('checkbox', {
    name: 'Keep the relay running in the tray when the window closes',
  }) as HTMLInputElement;

describe('desktop settings card', () => {
  it('shows the settings and saves a ticked box at once', async () => {
    const api = desktopApi({ keepRunningInTray: true, openAtLogin: false });
    off = useDesktopStore.getState().connect(api);
    render(<DesktopSettingsCard />);
    await screen.findByRole('heading', { name: 'Desktop app' });
    expect(loginBox().checked).toBe(false);
    expect(trayBox().checked).toBe(true);
    fireEvent.click(loginBox());
    await waitFor(() => expect(loginBox().checked).toBe(true));
    expect(api.calls.find((c) => c.name === 'desktop.saveSettings')?.args).toEqual([{ openAtLogin: true }]);
  });

  it('follows a change made in the native menu', async () => {
    const api = desktopApi({ keepRunningInTray: true, openAtLogin: false });
    off = useDesktopStore.getState().connect(api);
    render(<DesktopSettingsCard />);
    await screen.findByRole('heading', { name: 'Desktop app' });
    act(() => api.emit('desktop.settings', { keepRunningInTray: false, openAtLogin: false }));
    expect(trayBox().checked).toBe(false);
  });

  it('says why a change did not take, and leaves the box as it was', async () => {
    const api = desktopApi({ keepRunningInTray: true, openAtLogin: false });
    api.answers['desktop.saveSettings'] = () => Promise.reject(new Error('EACCES: ~/.config/autostart'));
    off = useDesktopStore.getState().connect(api);
    render(<DesktopSettingsCard />);
    await screen.findByRole('heading', { name: 'Desktop app' });
    fireEvent.click(loginBox());
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', 'Not changed: EACCES: ~/.config/autostart');
    expect(loginBox().checked).toBe(false);
  });

  it('is not shown by derpdesk host, which has no tray or login item', async () => {
    const api = new FakeApi({ 'desktop.settings': () => null });
    off = useDesktopStore.getState().connect(api);
    const { container } = render(<DesktopSettingsCard />);
    await waitFor(() => expect(api.names()).toContain('desktop.settings'));
    expect(container.innerHTML).toBe('');
  });
});
