/**
 * Relay settings persisted as JSON in the app's data directory. Writes are atomic with a backup; a file that
 * cannot be read is reported and moved aside (never silently overwritten), and defaults are used meanwhile.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { SaveSettingsResult, SettingsSnapshot } from '../../shared/api.js';
import { validateSettings, withDefaults, type RelaySettings, type SettingsErrors } from '../../shared/settings.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { errorMessage } from '../../shared/errors.js';

export const SETTINGS_FILE = 'settings.json';

export class SettingsStore {
  readonly file: string;
  private current: SettingsSnapshot | null = null;
  /** Saves run one at a time, in call order: otherwise two renames can land in one order and `current` in the other. */
  private saving: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, SETTINGS_FILE);
  }

  async load(): Promise<SettingsSnapshot> {
    if (this.current) return this.current;
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new Error(`cannot read settings ${this.file}: ${errorMessage(err)}`, { cause: err });
      this.current = { settings: withDefaults(undefined), file: this.file };
      return this.current;
    }
    let parsed: unknown;
    let problem: string | null = null;
    try {
      parsed = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        problem = 'the file does not hold a JSON object';
    } catch (err) {
      problem = `the file is not valid JSON (${errorMessage(err)})`;
    }
    if (problem) {
      const keptAs = `${this.file}.broken-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await fs.rename(this.file, keptAs);
      this.current = {
        settings: withDefaults(undefined),
        file: this.file,
        loadProblem: { message: `Settings could not be read: ${problem}. Defaults are in use.`, keptAs },
      };
      return this.current;
    }
    this.current = { settings: withDefaults(parsed), file: this.file };
    return this.current;
  }

  /**
   * Validates and writes the settings; missing fields take their defaults. `checkPaths` adds per-field errors for paths the caller may not use (the
   * file policy); it runs inside the queue so that a check and its write are never interleaved with another save.
   */
  save(
    settings: Partial<RelaySettings>,
    checkPaths?: (s: RelaySettings) => Promise<SettingsErrors>,
  ): Promise<SaveSettingsResult> {
    const run = this.saving.then(() => this.saveNow(settings, checkPaths));
    this.saving = run.catch(() => {});
    return run;
  }

  private async saveNow(
    settings: Partial<RelaySettings>,
    checkPaths?: (s: RelaySettings) => Promise<SettingsErrors>,
  ): Promise<SaveSettingsResult> {
    const clean = withDefaults(settings);
    const errors = validateSettings(clean);
    if (Object.keys(errors).length === 0 && checkPaths) Object.assign(errors, await checkPaths(clean));
    if (Object.keys(errors).length > 0) return { ok: false, errors };
    await writeFileAtomic(this.file, JSON.stringify(clean, null, 2) + '\n', { backup: true, mode: 0o600 });
    this.current = { settings: clean, file: this.file };
    return { ok: true, snapshot: this.current };
  }
}
