/**
 * The main-process services behind the API contract, in plain Node: the Electron IPC layer and the headless
 * host's WebSocket bridge both serve exactly these handlers and forward exactly these events.
 */
import { EventEmitter } from 'node:events';
import type { ApiEvents, ApiHandlers, CheckRequest } from '../../shared/api.js';
import { MAX_TEXT_INPUT_BYTES } from '../../shared/limits.js';
import { SETTINGS_PATH_FIELDS, checkAllowListText, type RelaySettings, type SettingsErrors } from '../../shared/settings.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { Logger } from '../util/log.js';
import { DiagnosticsService } from './diagnostics-service.js';
import { RootsPolicy, dataDirAppFiles, refuseAppFiles, type FileAccess, type FileIntent } from './file-access.js';
import { exportMap, headscaleMerged, mapDiff, openMap, saveMap } from './map-editor.js';
import { buildMapEntry, portsFromSettings } from './map-entry.js';
import { RelayController, type StartStun } from './relay-controller.js';
import { createPathGuard, readGuardedText, type PathGuard } from './path-guard.js';
import { SettingsStore } from './settings-store.js';

export type ApiEventEmitter = EventEmitter<{ [E in keyof ApiEvents]: [ApiEvents[E]] }>;

export interface AppServices {
  handlers: ApiHandlers;
  events: ApiEventEmitter;
  controller: RelayController;
  settings: SettingsStore;
  dispose(): Promise<void>;
}

/** What the relay does with each file a setting names: the key file is created when missing. */
const SETTINGS_PATH_INTENT: Record<(typeof SETTINGS_PATH_FIELDS)[number], FileIntent> = {
  tlsCertFile: 'read',
  tlsKeyFile: 'read',
  keyFile: 'write',
  allowKeysFile: 'write',
  meshKeyFile: 'read',
};

export interface AppServicesOptions {
  dataDir: string;
  logger: Logger;
  startStun?: StartStun;
  /** Which files the API may touch; by default only those in the data directory. */
  files?: FileAccess;
}

export function createAppServices(opts: AppServicesOptions): AppServices {
  const files = opts.files ?? new RootsPolicy([opts.dataDir]);
  const settings = new SettingsStore(opts.dataDir);
  // The relay's secrets, wherever the settings put them, are never editor files, nor is the app's own state.
  const appFilesOf = (s: RelaySettings) => [...dataDirAppFiles(opts.dataDir), ...[s.keyFile, s.tlsKeyFile, s.meshKeyFile].filter(Boolean)];
  const guard: PathGuard = createPathGuard(files, async () => appFilesOf((await settings.load()).settings));
  const settingsPathErrors = async (s: RelaySettings): Promise<SettingsErrors> => {
    const errors: SettingsErrors = {};
    for (const k of SETTINGS_PATH_FIELDS) {
      if (!s[k]) continue;
      try {
        const real = await files.check(s[k], SETTINGS_PATH_INTENT[k], 'settings');
        // The allowlist is read and written by its editor, so it may not be one of the files that editor must not touch.
        if (k === 'allowKeysFile') await refuseAppFiles(real, appFilesOf(s));
      } catch (err) {
        errors[k] = (err as Error).message;
      }
    }
    return errors;
  };
  const allowListFile = async (intent: FileIntent): Promise<{ file: string; real: string } | null> => {
    const file = (await settings.load()).settings.allowKeysFile;
    return file ? { file, real: await guard(file, intent, 'settings') } : null;
  };

  const controller = new RelayController(opts.dataDir, opts.logger, opts.startStun ?? null);
  const events: ApiEventEmitter = new EventEmitter();
  const diagnostics = new DiagnosticsService(opts.dataDir, events);
  controller.on('state', (s) => events.emit('relay.state', s));
  controller.on('sample', (s) => events.emit('stats.sample', s));
  controller.on('peers', (p) => events.emit('peers.snapshot', p));

  const handlers: ApiHandlers = {
    'relay.getState': async () => controller.getState(),
    'relay.start': async () => {
      const s = (await settings.load()).settings;
      // Settings saved before the file policy existed (or by an older version) may name files it no longer allows.
      const refused = Object.entries(await settingsPathErrors(s));
      if (refused.length > 0) throw new Error(`the relay was not started: ${refused.map(([k, v]) => `${k}: ${v}`).join('; ')}; change these settings`);
      return controller.start(s);
    },
    'relay.stop': async () => controller.stop(),
    'relay.stats': async () => controller.stats(),
    'settings.get': async () => settings.load(),
    'settings.save': async (s) => settings.save(s, settingsPathErrors),
    'peers.list': async () => controller.peers(),
    'stats.history': async () => controller.history(),
    'relay.mapEntry': async () => {
      const s = (await settings.load()).settings;
      const state = controller.getState();
      return buildMapEntry(s, controller.listening() ?? portsFromSettings(s), state.status === 'running' ? state.certName : undefined);
    },
    'trust.get': async () => controller.trust(),
    'allowlist.get': async () => {
      const target = await allowListFile('read');
      if (!target) return null;
      const { text } = await readGuardedText(target.real, guard, 'settings', MAX_TEXT_INPUT_BYTES);
      return { file: target.file, text: text ?? '' };
    },
    'allowlist.save': async (text) => {
      const problems = checkAllowListText(text);
      if (problems.length > 0) return { ok: false, problems };
      const target = await allowListFile('write').catch((err: Error) => err);
      if (target instanceof Error) return { ok: false, problems: [target.message] };
      if (!target) return { ok: false, problems: ['set an allowlist file in the relay settings first'] };
      // The running relay notices the new modification time and re-reads the list within a second.
      await writeFileAtomic(target.real, text.endsWith('\n') || text === '' ? text : text + '\n', { backup: true, mode: 0o600 });
      return { ok: true };
    },
    'map.open': async (src) => openMap(src, guard),
    // The path is only the diff's header here: nothing is read or written, so it needs no file check.
    'map.diff': async (req) => mapDiff(req),
    'map.save': async (req) => saveMap(req, guard),
    'map.export': async (map, format) => exportMap(map, format),
    'map.headscale': async ({ configPath }) => headscaleMerged(configPath, guard),
    'diagnostics.run': async (req) => diagnostics.run(await withFileOpened(req, guard)),
    'diagnostics.cancel': async (id) => diagnostics.cancel(id),
    'diagnostics.history': async () => diagnostics.list(),
    'diagnostics.get': async (id) => diagnostics.get(id),
    'diagnostics.export': async (id, format) => diagnostics.export(id, format),
    'files.canChoose': async () => files.canChoose,
    'files.choose': async (req) => files.choose(req),
  };
  return { handlers, events, controller, settings, dispose: () => controller.dispose() };
}

/** A run of a map file checks the map read through the guard; the run is labelled with the path, as before. */
async function withFileOpened(req: CheckRequest, guard: PathGuard): Promise<CheckRequest> {
  if (req.source.kind !== 'file') return req;
  const opened = await openMap(req.source, guard);
  return { ...req, source: { kind: 'map', map: opened.map, label: req.source.path } };
}
