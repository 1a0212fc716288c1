/**
 * The desktop settings the user changes (keep running in the tray, start at login), one way for both places that
 * change them: the native menu and the page (through the API). Start at login is written to the system first, so
 * the setting never claims a login item that could not be made.
 */
import type { DesktopAppSettings } from '../../shared/api.js';
import type { DesktopSettingsHost } from '../app/handlers/desktop.js';
import type { DesktopSettings, DesktopSettingsStore } from './desktop-settings.js';
import { applyOpenAtLogin, type LoginItemHost } from './login-item.js';

export function appSettingsOf(s: DesktopSettings): DesktopAppSettings {
  return { keepRunningInTray: s.keepRunningInTray, openAtLogin: s.openAtLogin };
}

export class DesktopPrefs implements DesktopSettingsHost {
  constructor(
    readonly store: DesktopSettingsStore,
    readonly login: LoginItemHost,
  ) {}

  get(): DesktopAppSettings {
    return appSettingsOf(this.store.get());
  }

  async save(patch: Partial<DesktopAppSettings>): Promise<DesktopAppSettings> {
    if (patch.openAtLogin !== undefined) await applyOpenAtLogin(patch.openAtLogin, this.login);
    this.store.update(patch);
    return this.get();
  }
}
