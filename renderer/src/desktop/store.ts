/**
 * The desktop app's own settings (the tray and the login item) on the page. They are not relay settings, so a
 * ticked box applies at once instead of waiting for the relay form's Save; the native menu changes them too, and
 * the desktop.settings event keeps the page in step. In a browser on `derpdesk host` there are none (null).
 */
import { create } from 'zustand';
import type { DerpdeskApi, DesktopAppSettings } from '../../../shared/api.js';
import { errorMessage } from '../../../shared/errors.js';

export interface DesktopStore {
  api: DerpdeskApi | null;
  /** null: not the desktop app (or not loaded yet). */
  settings: DesktopAppSettings | null;
  saving: boolean;
  error: string | null;
  /** Loads the settings and follows their changes; returns the unsubscribe. */
  connect(api: DerpdeskApi): () => void;
  save(patch: Partial<DesktopAppSettings>): Promise<void>;
}

export const useDesktopStore = create<DesktopStore>((set, get) => ({
  api: null,
  settings: null,
  saving: false,
  error: null,

  connect(api) {
    set({ api, settings: null, saving: false, error: null });
    const off = api.on('desktop.settings', (settings) => set({ settings }));
    api.call('desktop.settings').then(
      (settings) => {
        if (get().api === api) set({ settings });
      },
      // A host from before this call: it has no desktop settings either.
      () => {},
    );
    return off;
  },

  async save(patch) {
    const { api } = get();
    if (!api) return;
    set({ saving: true, error: null });
    try {
      set({ settings: await api.call('desktop.saveSettings', patch) });
    } catch (err) {
      set({ error: `Not changed: ${errorMessage(err)}` });
    } finally {
      set({ saving: false });
    }
  },
}));
