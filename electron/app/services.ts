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
import type { ApiHandlers, RelayState } from '../../shared/api.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../util/log.js';
import { DiagnosticsService } from './diagnostics-service.js';
import type { ApiEventEmitter } from './events.js';
import { RootsPolicy, type FileAccess } from './file-access.js';
import { createFileRules } from './file-rules.js';
import { desktopHandlers, type DesktopSettingsHost } from './handlers/desktop.js';
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
  /**
   * Starts the relay when the saved settings ask for it at launch (startOnLaunch), as the dashboard's switch would.
   * Never throws: a failure is logged and becomes the relay's state, which the GUI shows. Null when not asked for.
   */
  startRelayOnLaunch(): Promise<RelayState | null>;
  dispose(): Promise<void>;
}

export interface AppServicesOptions {
  dataDir: string;
  logger: Logger;
  startStun?: StartStun;
  /** Which files the API may touch; by default only those in the data directory. */
  files?: FileAccess;
  /** The desktop app's own settings; absent in `derpdesk host`. */
  desktop?: DesktopSettingsHost;
}

export function createAppServices(opts: AppServicesOptions): AppServices {
  const files = opts.files ?? new RootsPolicy([opts.dataDir]);
  const settings = new SettingsStore(opts.dataDir);
  const rules = createFileRules(opts.dataDir, files, settings);
  const controller = new RelayController(opts.dataDir, opts.logger, opts.startStun ?? null);
  const events: ApiEventEmitter = new EventEmitter();
  const diagnostics = new DiagnosticsService(opts.dataDir, events);
  const monitor = new MonitorService({ dataDir: opts.dataDir, events, guard: rules.guard });
  monitor.resume();
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
    ...desktopHandlers({ desktop: opts.desktop }),
  };
  const startRelayOnLaunch = async (): Promise<RelayState | null> => {
    const log = opts.logger;
    let wanted: boolean;
    try {
      wanted = (await settings.load()).settings.startOnLaunch;
    } catch (err) {
      log.warn(`derpdesk: the relay was not started at launch: ${errorMessage(err)}`);
      return null;
    }
    if (!wanted) return null;
    log.info('derpdesk: starting the relay (the settings say to start it when the app starts)');
    // relay.start is what the dashboard calls: the same checks of the files the settings name.
    const state = await handlers['relay.start']().catch((err: unknown) => controller.refuse(errorMessage(err)));
    if (state.status === 'failed')
      log.warn(
        `derpdesk: the relay did not start: ${state.error}. The app keeps running; change the relay settings and start it from the dashboard`,
      );
    return state;
  };
  const dispose = async () => {
    await monitor.dispose();
    await controller.dispose();
  };
  return { handlers, events, controller, settings, startRelayOnLaunch, dispose };
}
