/**
 * The main-process services behind the API contract, in plain Node: the Electron IPC layer and the headless
 * host's WebSocket bridge both serve exactly these handlers and forward exactly these events.
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { ApiEvents, ApiHandlers } from '../../shared/api.js';
import { checkAllowListText } from '../../shared/settings.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { Logger } from '../util/log.js';
import { DiagnosticsService } from './diagnostics-service.js';
import { exportMap, headscaleMerged, mapDiff, openMap, saveMap } from './map-editor.js';
import { buildMapEntry, portsFromSettings } from './map-entry.js';
import { RelayController, type StartStun } from './relay-controller.js';
import { SettingsStore } from './settings-store.js';

export type ApiEventEmitter = EventEmitter<{ [E in keyof ApiEvents]: [ApiEvents[E]] }>;

export interface AppServices {
  handlers: ApiHandlers;
  events: ApiEventEmitter;
  controller: RelayController;
  settings: SettingsStore;
  dispose(): Promise<void>;
}

export function createAppServices(opts: { dataDir: string; logger: Logger; startStun?: StartStun }): AppServices {
  const settings = new SettingsStore(opts.dataDir);
  const controller = new RelayController(opts.dataDir, opts.logger, opts.startStun ?? null);
  const events: ApiEventEmitter = new EventEmitter();
  const diagnostics = new DiagnosticsService(opts.dataDir, events);
  controller.on('state', (s) => events.emit('relay.state', s));
  controller.on('sample', (s) => events.emit('stats.sample', s));
  controller.on('peers', (p) => events.emit('peers.snapshot', p));

  const handlers: ApiHandlers = {
    'relay.getState': async () => controller.getState(),
    'relay.start': async () => controller.start((await settings.load()).settings),
    'relay.stop': async () => controller.stop(),
    'relay.stats': async () => controller.stats(),
    'settings.get': async () => settings.load(),
    'settings.save': async (s) => settings.save(s),
    'peers.list': async () => controller.peers(),
    'stats.history': async () => controller.history(),
    'map.entry': async () => {
      const s = (await settings.load()).settings;
      const state = controller.getState();
      return buildMapEntry(s, controller.listening() ?? portsFromSettings(s), state.status === 'running' ? state.certName : undefined);
    },
    'trust.get': async () => controller.trust(),
    'allowlist.get': async () => {
      const file = (await settings.load()).settings.allowKeysFile;
      if (!file) return null;
      const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));
      return { file, text };
    },
    'allowlist.save': async (text) => {
      const file = (await settings.load()).settings.allowKeysFile;
      if (!file) return { ok: false, problems: ['set an allowlist file in the relay settings first'] };
      const problems = checkAllowListText(text);
      if (problems.length > 0) return { ok: false, problems };
      // The running relay notices the new modification time and re-reads the list within a second.
      await writeFileAtomic(file, text.endsWith('\n') || text === '' ? text : text + '\n', { backup: true, mode: 0o600 });
      return { ok: true };
    },
    'map.open': async (src) => openMap(src),
    'map.diff': async (req) => mapDiff(req),
    'map.save': async (req) => saveMap(req),
    'map.export': async (map, format) => exportMap(map, format),
    'map.headscale': async ({ configPath }) => headscaleMerged(configPath),
    'diagnostics.run': async (req) => diagnostics.run(req),
    'diagnostics.cancel': async (id) => diagnostics.cancel(id),
    'diagnostics.history': async () => diagnostics.list(),
    'diagnostics.get': async (id) => diagnostics.get(id),
    'diagnostics.export': async (id, format) => diagnostics.export(id, format),
  };
  return { handlers, events, controller, settings, dispose: () => controller.dispose() };
}
