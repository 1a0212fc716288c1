// @vitest-environment happy-dom
/** The Browse… button: shown only where the app has a native file dialog, and it fills the path it was given. */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BrowseButton } from '../../renderer/src/components/BrowseButton.js';
import { FakeApi } from './fake-api.js';

afterEach(cleanup);

describe('BrowseButton', () => {
  it('asks files.choose with the purpose and the current path, and hands back the pick', async () => {
    const api = new FakeApi({ 'files.canChoose': () => true, 'files.choose': () => '/home/me/derp.yaml' });
    const chosen = vi.fn();
    render(<BrowseButton api={api} purpose="map" mode="save" current="/home/me/old.yaml" onChosen={chosen} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Browse…' }));
    await waitFor(() => expect(chosen).toHaveBeenCalledWith('/home/me/derp.yaml'));
    expect(api.calls.find((c) => c.name === 'files.choose')?.args).toEqual([
      { mode: 'save', purpose: 'map', defaultPath: '/home/me/old.yaml' },
    ]);
  });

  it('is absent in derpdesk host, where paths are typed', async () => {
    const api = new FakeApi({ 'files.canChoose': () => false });
    render(<BrowseButton api={api} purpose="allowlist" onChosen={() => {}} />);
    await waitFor(() => expect(api.names()).toContain('files.canChoose'));
    expect(screen.queryByRole('button', { name: 'Browse…' })).toBeNull();
  });

  it('keeps nothing from a cancelled dialog', async () => {
    const api = new FakeApi({ 'files.canChoose': () => true, 'files.choose': () => null });
    const chosen = vi.fn();
    render(<BrowseButton api={api} purpose="headscale-config" onChosen={chosen} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Browse…' }));
    await waitFor(() => expect(api.names()).toContain('files.choose'));
    expect(chosen).not.toHaveBeenCalled();
  });

  it('shows why there was no dialog, and asks whether there is one once per API', async () => {
    const api = new FakeApi({
      'files.canChoose': () => true,
      'files.choose': () => Promise.reject(new Error('window closed')),
    });
    render(
      <>
        <BrowseButton api={api} purpose="map" onChosen={() => {}} />
        <BrowseButton api={api} purpose="key" onChosen={() => {}} />
      </>,
    );
    const [first] = await screen.findAllByRole('button', { name: 'Browse…' });
    fireEvent.click(first);
    expect((await screen.findByRole('alert')).textContent).toBe('No file dialog: window closed');
    expect(api.names().filter((n) => n === 'files.canChoose')).toEqual(['files.canChoose']);
  });
});
