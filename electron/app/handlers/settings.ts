/** The relay settings and the allowlist file they name. */
import type { HandlersOf } from '../../../shared/api.js';
import { MAX_TEXT_INPUT_BYTES } from '../../../shared/limits.js';
import { checkAllowListText } from '../../../shared/settings.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import type { FileIntent } from '../file-access.js';
import type { FileRules } from '../file-rules.js';
import { readGuardedText } from '../path-guard.js';
import type { SettingsStore } from '../settings-store.js';

export type SettingsHandlers = HandlersOf<'settings' | 'allowlist'>;

export function settingsHandlers(deps: { settings: SettingsStore; rules: FileRules }): SettingsHandlers {
  const { settings, rules } = deps;
  const allowListFile = async (intent: FileIntent): Promise<{ file: string; real: string } | null> => {
    const file = (await settings.load()).settings.allowKeysFile;
    return file ? { file, real: await rules.guard(file, intent, 'settings') } : null;
  };
  return {
    'settings.get': async () => settings.load(),
    'settings.save': async (s) => settings.save(s, rules.settingsPathErrors),
    'allowlist.get': async () => {
      const target = await allowListFile('read');
      if (!target) return null;
      const { text } = await readGuardedText(target.real, rules.guard, 'settings', MAX_TEXT_INPUT_BYTES);
      return { file: target.file, text: text ?? '' };
    },
    'allowlist.save': async (text) => {
      const problems = checkAllowListText(text);
      if (problems.length > 0) return { ok: false, problems };
      const target = await allowListFile('write').catch((err: Error) => err);
      if (target instanceof Error) return { ok: false, problems: [target.message] };
      if (!target) return { ok: false, problems: ['set an allowlist file in the relay settings first'] };
      // The running relay notices the new modification time and re-reads the list within a second.
      await writeFileAtomic(target.real, text.endsWith('\n') || text === '' ? text : text + '\n', {
        backup: true,
        mode: 0o600,
      });
      return { ok: true };
    },
  };
}
