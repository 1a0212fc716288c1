/**
 * Settings only the desktop app has (the tray, the login item, recent files), kept in their own small file beside
 * the relay settings so the two never overwrite each other's fields. A file that cannot be read is reported and
 * the defaults are used: none of these settings is worth refusing to start over.
 */
import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../../shared/errors.js';

export const DESKTOP_SETTINGS_FILE = 'desktop-settings.json';
export const MAX_RECENT_FILES = 10;

export interface DesktopSettings {
  /** Closing the window while the relay runs hides it into the tray instead of quitting. */
  keepRunningInTray: boolean;
  /** Start derpdesk, hidden in the tray, when the user logs in. */
  openAtLogin: boolean;
  /** The one-time "derpdesk is still running in the tray" notice was shown. */
  trayNoticeShown: boolean;
  /** Map files opened or saved, newest first. */
  recentFiles: string[];
}

export const DESKTOP_DEFAULTS: DesktopSettings = {
  keepRunningInTray: true,
  openAtLogin: false,
  trayNoticeShown: false,
  recentFiles: [],
};

/** Keeps each known field of `raw` that has the right type; everything else takes its default. */
export function desktopSettingsFrom(raw: unknown): DesktopSettings {
  const r = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const flag = (k: 'keepRunningInTray' | 'openAtLogin' | 'trayNoticeShown') =>
    typeof r[k] === 'boolean' ? r[k] : DESKTOP_DEFAULTS[k];
  const recent = Array.isArray(r.recentFiles)
    ? r.recentFiles.filter((f): f is string => typeof f === 'string' && path.isAbsolute(f))
    : [];
  return {
    keepRunningInTray: flag('keepRunningInTray'),
    openAtLogin: flag('openAtLogin'),
    trayNoticeShown: flag('trayNoticeShown'),
    recentFiles: [...new Set(recent)].slice(0, MAX_RECENT_FILES),
  };
}

/** Emits 'change' with the new settings after every update (the menus redraw from it). */
export class DesktopSettingsStore extends EventEmitter<{ change: [DesktopSettings] }> {
  readonly file: string;
  private current: DesktopSettings = { ...DESKTOP_DEFAULTS };
  /** Writes run one at a time, in call order, so the file always ends up holding the last update. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    dataDir: string,
    private readonly logger: Logger,
  ) {
    super();
    this.file = path.join(dataDir, DESKTOP_SETTINGS_FILE);
  }

  get(): DesktopSettings {
    return this.current;
  }

  async load(): Promise<DesktopSettings> {
    try {
      this.current = desktopSettingsFrom(JSON.parse(await fs.readFile(this.file, 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.logger.warn(
          `derpdesk: cannot read ${this.file} (${errorMessage(err)}); using the default desktop settings`,
        );
      this.current = { ...DESKTOP_DEFAULTS };
    }
    return this.current;
  }

  /**
   * Applies `patch` at once (callers read the new value synchronously) and writes the file in the background; a
   * failed write is logged, the setting still holds for this session.
   */
  update(patch: Partial<DesktopSettings>): void {
    this.current = desktopSettingsFrom({ ...this.current, ...patch });
    this.emit('change', this.current);
    const text = JSON.stringify(this.current, null, 2) + '\n';
    const run = this.writing.then(() => writeFileAtomic(this.file, text, { mode: 0o600 }));
    this.writing = run.catch((err: unknown) =>
      this.logger.warn(`derpdesk: cannot save ${this.file}: ${errorMessage(err)}`),
    );
  }

  /** Resolves once every update so far is on disk (or its failure logged). */
  async saved(): Promise<void> {
    await this.writing;
  }

  /** Moves `file` to the top of the recent files (added when missing). */
  addRecent(file: string): void {
    this.update({ recentFiles: [file, ...this.current.recentFiles.filter((f) => f !== file)] });
  }
}
