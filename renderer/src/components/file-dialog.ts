/**
 * The native file dialog, shared by every feature's Browse… buttons: whether there is one (asked once per API)
 * and picking a file. The desktop app has a dialog; `derpdesk host` in a browser does not.
 */
import { create } from 'zustand';
import type { DerpdeskApi, FilePurpose } from '../../../shared/api.js';
import { errorMessage } from '../../../shared/errors.js';

export type ChooseResult = { path: string | null } | { error: string };

export interface FileDialogStore {
  /** The API the answer below is for. */
  askedOf: DerpdeskApi | null;
  canChoose: boolean;
  /** Asks the host whether it can show a dialog (once per API). */
  probe(api: DerpdeskApi): Promise<void>;
  /** Shows the dialog; the path picked, null when cancelled, or why there was no dialog. */
  choose(
    api: DerpdeskApi,
    opts: { purpose: FilePurpose; mode: 'open' | 'save'; current?: string },
  ): Promise<ChooseResult>;
}

export const useFileDialogStore = create<FileDialogStore>((set, get) => ({
  askedOf: null,
  canChoose: false,

  async probe(api) {
    if (get().askedOf === api) return;
    set({ askedOf: api, canChoose: false });
    let can = false;
    try {
      can = (await api.call('files.canChoose')) === true;
    } catch {
      // An older host without the call: paths are typed, as they were.
    }
    if (get().askedOf === api) set({ canChoose: can });
  },

  async choose(api, { purpose, mode, current }) {
    try {
      return { path: await api.call('files.choose', { mode, purpose, ...(current ? { defaultPath: current } : {}) }) };
    } catch (err) {
      return { error: `No file dialog: ${errorMessage(err)}` };
    }
  },
}));
