/** The running relay's calls: state, start and stop, its numbers, peers, trust, and its own DERP map entry. */
import type { HandlersOf } from '../../../shared/api.js';
import type { FileRules } from '../file-rules.js';
import { entryProblems, hostResolves, proposeFix, reachableAddresses } from '../entry-check.js';
import { buildMapEntry, portsFromSettings } from '../map-entry.js';
import type { RelayController } from '../relay-controller.js';
import type { SettingsStore } from '../settings-store.js';

export type RelayHandlers = HandlersOf<'relay' | 'peers' | 'stats' | 'trust'>;

export function relayHandlers(deps: {
  controller: RelayController;
  settings: SettingsStore;
  rules: Pick<FileRules, 'settingsPathErrors'>;
}): RelayHandlers {
  const { controller, settings, rules } = deps;
  return {
    'relay.getState': async () => controller.getState(),
    'relay.start': async () => {
      const s = (await settings.load()).settings;
      // Settings saved before the file policy existed (or by an older version) may name files it no longer allows.
      const refused = Object.entries(await rules.settingsPathErrors(s));
      if (refused.length > 0)
        throw new Error(
          `the relay was not started: ${refused.map(([k, v]) => `${k}: ${v}`).join('; ')}; change these settings`,
        );
      return controller.start(s);
    },
    'relay.stop': async () => controller.stop(),
    'relay.stats': async () => controller.stats(),
    'relay.certificate': () => controller.certificateInfo(),
    'relay.mapEntry': async () => {
      const s = (await settings.load()).settings;
      const state = controller.getState();
      const certName = state.status === 'running' ? state.certName : undefined;
      const resolves = await hostResolves(s);
      const problems = entryProblems(s, certName, resolves);
      return {
        ...buildMapEntry(s, controller.listening() ?? portsFromSettings(s), certName),
        problems,
        fix: problems.length > 0 ? proposeFix(s, reachableAddresses(), resolves) : null,
      };
    },
    'peers.list': async () => controller.peers(),
    'stats.history': async (window) => controller.history(window),
    'trust.get': async () => controller.trust(),
  };
}
