import { useShallow } from 'zustand/react/shallow';
import type { DesktopAppSettings } from '../../../shared/api.js';
import { useDesktopStore } from './store.js';

const BOXES: Array<{ key: keyof DesktopAppSettings; label: string; hint: string }> = [
  {
    key: 'openAtLogin',
    label: 'Start derpdesk at login',
    hint: 'hidden in the tray; with "Start the relay when the app starts" the relay serves from login on',
  },
  {
    key: 'keepRunningInTray',
    label: 'Keep the relay running in the tray when the window closes',
    hint: 'while the relay runs; Quit in the tray or the File menu stops it',
  },
];

/** The desktop app's tray and login settings, beside the relay settings; nothing in a browser on `derpdesk host`. */
export function DesktopSettingsCard() {
  const { settings, saving, error, save } = useDesktopStore(
    useShallow((s) => ({ settings: s.settings, saving: s.saving, error: s.error, save: s.save })),
  );
  if (!settings) return null;
  return (
    <section className="card" aria-labelledby="desktop-settings-heading">
      <h2 id="desktop-settings-heading">Desktop app</h2>
      <p className="muted">These apply at once.</p>
      {BOXES.map((b) => (
        <div className="field checkbox" key={b.key}>
          <label htmlFor={`desktop-${b.key}`}>{b.label}</label>
          <input
            id={`desktop-${b.key}`}
            type="checkbox"
            checked={settings[b.key]}
            disabled={saving}
            aria-describedby={`desktop-${b.key}-hint`}
            onChange={(e) => void save({ [b.key]: e.target.checked })}
          />
          <span id={`desktop-${b.key}-hint`} className="hint">
            {b.hint}
          </span>
        </div>
      ))}
      {error && (
        <p className="error" role="alert" data-testid="desktop-settings-error">
          {error}
        </p>
      )}
    </section>
  );
}
