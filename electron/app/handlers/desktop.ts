/**
 * The desktop app's own settings (tray, login item) through the API, so the page can show them beside the relay
 * settings. Only the Electron main process has them; `derpdesk host` answers that there are none.
 */
import type { DesktopAppSettings, HandlersOf } from '../../../shared/api.js';

export type DesktopHandlers = HandlersOf<'desktop'>;

/** What the Electron main process provides (electron/main/desktop-prefs.ts). */
export interface DesktopSettingsHost {
  get(): DesktopAppSettings;
  save(patch: Partial<DesktopAppSettings>): Promise<DesktopAppSettings>;
}

export function desktopHandlers(deps: { desktop?: DesktopSettingsHost }): DesktopHandlers {
  const { desktop } = deps;
  return {
    'desktop.settings': async () => desktop?.get() ?? null,
    'desktop.saveSettings': async (patch) => {
      if (!desktop)
        throw new Error('derpdesk host has no tray or login item: these settings exist only in the desktop app');
      return desktop.save(patch);
    },
  };
}
