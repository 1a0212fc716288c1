/**
 * The API backend, composed: the Electron IPC layer and the headless host's WebSocket bridge both serve exactly
 * these handlers and forward exactly these events. Plain Node, no Electron.
 *
 * Names, one meaning each:
 * - AppServices (this file): the composition the adapters hold — the API's handlers, its event emitter, and the
 *   long-lived parts behind them. Created once per app or host by createAppServices.
 * - Handlers (./handlers/<feature>.ts): one module per feature, each providing the calls of its prefixes
 *   (HandlersOf<'relay' | …>); spread together below into ApiHandlers, so a call of CALLS without a handler
 *   does not compile.
 * - RelayController (./relay-controller.ts): starts and stops the embedded relay with the saved settings and
 *   reports its state, samples and peers. The relay it runs is a RelayService (../relay/service.ts).
 * - DiagnosticsService (./diagnostics-service.ts): diagnostics runs and their stored history.
 * - SettingsStore (./settings-store.ts): the settings file. FileRules (./file-rules.ts): the path guard and the
 *   check of the files the settings name.
 */
import { EventEmitter } from 'node:events';
import type { ApiHandlers } from '../../shared/api.js';
import type { Logger } from '../util/log.js';
import { DiagnosticsService } from './diagnostics-service.js';
import type { ApiEventEmitter } from './events.js';
import { RootsPolicy, type FileAccess } from './file-access.js';
import { createFileRules } from './file-rules.js';
import { diagnosticsHandlers } from './handlers/diagnostics.js';
import { filesHandlers } from './handlers/files.js';
import { mapHandlers } from './handlers/map.js';
import { monitorHandlers } from './handlers/monitor.js';
import { MonitorService } from '../monitor/service.js';
import { relayHandlers } from './handlers/relay.js';
import { settingsHandlers } from './handlers/settings.js';
import { RelayController, type StartStun } from './relay-controller.js';
import { SettingsStore } from './settings-store.js';

export interface AppServices {
  handlers: ApiHandlers;
  events: ApiEventEmitter;
  controller: RelayController;
  settings: SettingsStore;
  dispose(): Promise<void>;
}

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
  const rules = createFileRules(opts.dataDir, files, settings);
  const controller = new RelayController(opts.dataDir, opts.logger, opts.startStun ?? null);
  const events: ApiEventEmitter = new EventEmitter();
  const diagnostics = new DiagnosticsService(opts.dataDir, events);
  const monitor = new MonitorService({ dataDir: opts.dataDir, events, guard: rules.guard });
  controller.on('state', (s) => events.emit('relay.state', s));
  controller.on('sample', (s) => events.emit('stats.sample', s));
  controller.on('peers', (p) => events.emit('peers.snapshot', p));

  const handlers: ApiHandlers = {
    ...relayHandlers({ controller, settings, rules }),
    ...settingsHandlers({ settings, rules }),
    ...mapHandlers({ guard: rules.guard }),
    ...diagnosticsHandlers({ diagnostics, guard: rules.guard }),
    ...filesHandlers({ files }),
    ...monitorHandlers({ monitor }),
  };
  const dispose = async () => {
    await monitor.dispose();
    await controller.dispose();
  };
  return { handlers, events, controller, settings, dispose };
}
