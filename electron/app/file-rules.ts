/**
 * The file rules the handlers share: the path guard every named file goes through (the FileAccess policy, then
 * never one of derpdesk's own state or secret files, which the settings partly name), and the check of the
 * files the relay settings name.
 */
import { SETTINGS_PATH_FIELDS, type RelaySettings, type SettingsErrors } from '../../shared/settings.js';
import { dataDirAppFiles, refuseAppFiles, type FileAccess, type FileIntent } from './file-access.js';
import { createPathGuard, type PathGuard } from './path-guard.js';
import type { SettingsStore } from './settings-store.js';
import { errorMessage } from '../../shared/errors.js';

export interface FileRules {
  guard: PathGuard;
  /** Per-field errors for settings that name files the policy refuses (none when all are allowed). */
  settingsPathErrors(s: RelaySettings): Promise<SettingsErrors>;
}

/** What the relay does with each file a setting names: the key file is created when missing. */
const SETTINGS_PATH_INTENT: Record<(typeof SETTINGS_PATH_FIELDS)[number], FileIntent> = {
  tlsCertFile: 'read',
  tlsKeyFile: 'read',
  keyFile: 'write',
  allowKeysFile: 'write',
  meshKeyFile: 'read',
  acmeCaFile: 'read',
};

export function createFileRules(dataDir: string, files: FileAccess, settings: SettingsStore): FileRules {
  // The relay's secrets, wherever the settings put them, are never editor files, nor is the app's own state.
  const appFilesOf = (s: RelaySettings) => [
    ...dataDirAppFiles(dataDir),
    ...[s.keyFile, s.tlsKeyFile, s.meshKeyFile].filter(Boolean),
  ];
  const guard = createPathGuard(files, async () => appFilesOf((await settings.load()).settings));
  const settingsPathErrors = async (s: RelaySettings): Promise<SettingsErrors> => {
    const errors: SettingsErrors = {};
    for (const k of SETTINGS_PATH_FIELDS) {
      if (!s[k]) continue;
      try {
        const real = await files.check(s[k], SETTINGS_PATH_INTENT[k], 'settings');
        // The allowlist is read and written by its editor, so it may not be one of the files that editor must not touch.
        if (k === 'allowKeysFile') await refuseAppFiles(real, appFilesOf(s));
      } catch (err) {
        errors[k] = errorMessage(err);
      }
    }
    return errors;
  };
  return { guard, settingsPathErrors };
}
