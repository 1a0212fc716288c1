/**
 * The API contract between the main process (or the headless host) and the renderer: every call, in one table
 * (CALLS), with its arguments (validators, from which their types derive) and its result type; and every event.
 * The Electron preload, the IPC handlers, the WebSocket bridge and the renderer's client are all typed from this
 * file. No dependencies outside shared/ (the preload bundles what it imports from here).
 */
import type { DerpMap } from './derpmap/model.js';
import type { HeadscaleDerpProblems, HeadscaleDerpSection } from './derpmap/headscale.js';
import type { MapIssue } from './derpmap/validate.js';
import type { CheckReport, NodeReport } from './diagnostics.js';
import type { MonitorSnapshot, MonitorTransition, NodeHistory } from './monitor.js';
import type { DeniedClient, PeerInfo, RelayCertificate, RelayStats } from './relay.js';
import type { RelaySettings, SettingsErrors } from './settings.js';
import {
  anything,
  arg,
  boolean,
  number,
  object,
  oneOf,
  record,
  string,
  takes,
  type ArgsOf,
  type Infer,
  type ResultOf,
  type Same,
  type Validator,
} from './validate-args.js';

export type { DeniedClient, PeerInfo, RelayCertificate, RelayStats } from './relay.js';
export type { RelaySettings, SettingsErrors } from './settings.js';

export interface Endpoint {
  role: 'derp' | 'http-port' | 'stun';
  url: string;
}

export type RelayState =
  | { status: 'stopped' }
  | { status: 'starting' }
  | { status: 'running'; endpoints: Endpoint[]; publicKey: string; startedAt: number; certName?: string }
  | { status: 'stopping' }
  | { status: 'failed'; error: string };

/** One second of relay activity, as the charts plot it. */
export interface StatsSample {
  /** End of the second, ms since the epoch. */
  t: number;
  bytesInPerSec: number;
  bytesOutPerSec: number;
  packetsInPerSec: number;
  packetsOutPerSec: number;
  dropsPerSec: number;
  clients: number;
  stunPerSec: number;
}

/** Ring-buffer length of the charts: 5 minutes at 1 s. */
export const STATS_HISTORY_SECONDS = 300;

/**
 * The charts' time windows and the resolution each is kept at while the app runs: every point of a coarser window
 * is the average of the 1 s samples in its step (clients: the peak).
 */
export const STATS_WINDOWS = {
  '5m': { stepMs: 1_000, points: STATS_HISTORY_SECONDS, label: '5 min' },
  '1h': { stepMs: 10_000, points: 360, label: '1 h' },
  '24h': { stepMs: 120_000, points: 720, label: '24 h' },
} as const;
export const statsWindow = oneOf('5m', '1h', '24h');
export type StatsWindow = Infer<typeof statsWindow>;

export interface SettingsSnapshot {
  settings: RelaySettings;
  /** Where the settings live. */
  file: string;
  /** Set when the file on disk was unreadable: it was moved aside to `keptAs` and defaults are in use. */
  loadProblem?: { message: string; keptAs: string };
}

export type SaveSettingsResult = { ok: true; snapshot: SettingsSnapshot } | { ok: false; errors: SettingsErrors };

export interface MapEntry {
  /** headscale derp.yaml fragment (regions: ...). */
  yaml: string;
  /** Tailscale DERPMap JSON ({"Regions": ...}). */
  json: string;
  /** Why real Tailscale clients could not use this entry; empty when they can. */
  problems: MapEntryProblem[];
  /** Settings that would solve the problems it can solve, to show before applying; null when there is none. */
  fix: MapEntryFix | null;
}

export interface MapEntryProblem {
  /** What is wrong and why it matters to clients. */
  what: string;
  /** What to change. */
  change: string;
}

export interface MapEntryFix {
  /** The settings to change and their new values. */
  changes: Partial<RelaySettings>;
  /** Problems this change leaves (e.g. no address of this machine other machines could reach). */
  remaining: string[];
}

export interface MeshLinkInfo {
  url: string;
  state: 'connecting' | 'up' | 'down';
  remoteClients: number;
  forwardedOut: number;
  lastError: string | null;
}

export interface TrustSnapshot {
  denied: DeniedClient[];
  mesh: MeshLinkInfo[];
  /** Packets forwarded to and received from mesh peers, all links together. */
  forwardedIn: number;
  forwardedOut: number;
}

export interface AllowListFile {
  file: string;
  text: string;
}

export type SaveAllowListResult = { ok: true } | { ok: false; problems: string[] };

/** Tags of the DERP map formats the editor reads and writes. */
export const mapFormat = oneOf('yaml', 'json');
export type MapFormat = Infer<typeof mapFormat>;

import { checkSource, editedDerpMap, mapSourceSpec } from './sources.js';
export { checkSource, derpMap, editedDerpMap, mapSourceSpec, type CheckSource, type MapSourceSpec } from './sources.js';

export interface OpenedMap {
  map: DerpMap;
  format: MapFormat;
  /** The text as read: saving edits this text so that untouched parts keep their bytes. */
  text: string;
  /** Set for files: where Save writes. */
  path?: string;
  issues: MapIssue[];
}

export const mapSaveRequest = object(
  {
    path: string(),
    map: editedDerpMap,
    format: mapFormat,
    /** The text the editor opened (empty for Save as); a save is refused if the file changed on disk since. */
    baseText: string(),
    /** Save as onto a file that exists: replace it (a .bak copy is kept) instead of refusing. */
    replace: boolean(),
  },
  { optional: ['replace'] },
);
export type MapSaveRequest = Infer<typeof mapSaveRequest>;

export type MapSaveResult =
  { ok: true; text: string; backup: string | null } | { ok: false; error: string; issues?: MapIssue[] };

/** The DERP map a headscale server hands its clients, assembled from its config.yaml. */
export interface HeadscaleMerged {
  map: DerpMap;
  /** Region id -> the URL, file or "headscale embedded DERP server" whose version won. */
  origins: Record<string, string>;
  /** Sources that could not be used, with why (the merged map is built from the rest, as headscale would). */
  problems: string[];
}

/** The derp section of a headscale config.yaml, for editing; the rest of the file stays on the host. */
export interface HeadscaleDerpOpened {
  path: string;
  derp: HeadscaleDerpSection;
  /** The file's version (a hash of its text): a save is refused if the file changed since. */
  version: string;
  problems: HeadscaleDerpProblems;
}

export const headscaleDerpRequest = object({
  configPath: string(),
  /** The whole section as edited; unknown keys are kept as they were read. */
  derp: record(anything()) as unknown as Validator<HeadscaleDerpSection>,
  version: string({ maxBytes: 128 }),
});
export type HeadscaleDerpRequest = Infer<typeof headscaleDerpRequest>;

export type HeadscaleDerpSaveResult =
  { ok: true; version: string; backup: string } | { ok: false; error: string; problems?: HeadscaleDerpProblems };

export const checkRequest = object(
  {
    source: checkSource,
    region: string(),
    /** Re-run just this node. */
    node: string(),
    /** Bytes to move through each node for the bandwidth test; none when absent. */
    bandwidthBytes: number({ int: true, min: 0 }),
  },
  { optional: ['region', 'node', 'bandwidthBytes'] },
);
export type CheckRequest = Infer<typeof checkRequest>;

export interface CheckHistoryEntry {
  id: string;
  label: string;
  startedAt: number;
  finishedAt: number;
  nodes: number;
  fails: number;
  warns: number;
  /** Best latency per region in this run (for the latency-over-time chart). */
  regionLatencyMs?: Record<string, number>;
  /** The regions of regionLatencyMs by code and name (absent in runs stored by older versions). */
  regionNames?: Record<string, { code: string; name: string }>;
}

export const exportFormat = oneOf('json', 'csv', 'markdown');
export type ExportFormat = Infer<typeof exportFormat>;

/** What a file is picked for: sets the dialog's title and file-type filter. */
export const FILE_PURPOSES = ['map', 'headscale-config', 'allowlist', 'key', 'certificate'] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];

export const chooseFileRequest = object(
  {
    mode: oneOf('open', 'save'),
    purpose: oneOf(...FILE_PURPOSES),
    /** Where the dialog starts: the path currently in the field, if any. */
    defaultPath: string(),
  },
  { optional: ['defaultPath'] },
);
export type ChooseFileRequest = Infer<typeof chooseFileRequest>;

/**
 * The settings a save sends. Each field is checked for its type; a missing one takes its default (the store fills
 * it), and the values themselves are judged by validateSettings, which answers per field.
 */
export const settingsArg = object(
  {
    listenAddr: string(),
    tlsMode: oneOf('none', 'manual', 'self-signed', 'letsencrypt'),
    tlsCertFile: string(),
    tlsKeyFile: string(),
    acmeDirectory: string(),
    acmeEmail: string(),
    acmeCaFile: string(),
    httpPort: number(),
    stunEnabled: boolean(),
    stunListen: string(),
    regionId: number(),
    regionCode: string(),
    regionName: string(),
    hostName: string(),
    ipv4: string(),
    ipv6: string(),
    keyFile: string(),
    allowKeysFile: string(),
    verifyClientUrl: string(),
    verifyFailOpen: boolean(),
    meshKeyFile: string(),
    meshWith: string(),
    rateLimitBytesPerSec: number(),
    rateBurstBytes: number(),
    startOnLaunch: boolean(),
  },
  {
    optional: [
      'listenAddr',
      'tlsMode',
      'tlsCertFile',
      'tlsKeyFile',
      'acmeDirectory',
      'acmeEmail',
      'acmeCaFile',
      'httpPort',
      'stunEnabled',
      'stunListen',
      'regionId',
      'regionCode',
      'regionName',
      'hostName',
      'ipv4',
      'ipv6',
      'keyFile',
      'allowKeysFile',
      'verifyClientUrl',
      'verifyFailOpen',
      'meshKeyFile',
      'meshWith',
      'rateLimitBytesPerSec',
      'rateBurstBytes',
      'startOnLaunch',
    ],
  },
);
/** Compile-time: every setting is checked, with its type. */
const settingsArgMatchesSettings: Same<Infer<typeof settingsArg>, Partial<RelaySettings>> = true;
void settingsArgMatchesSettings;

/** The desktop app's own settings, kept apart from the relay's: the tray and the login item. */
export interface DesktopAppSettings {
  /** Closing the window while the relay runs hides it into the tray instead of quitting. */
  keepRunningInTray: boolean;
  /** Start derpdesk, hidden in the tray, when the user logs in. */
  openAtLogin: boolean;
}

export const desktopSettingsPatch = object(
  { keepRunningInTray: boolean(), openAtLogin: boolean() },
  { optional: ['keepRunningInTray', 'openAtLogin'] },
);

/** What the monitor probes (a source as diagnostics take it), how often, and optionally one region. */
export const monitorRequest = object(
  {
    source: checkSource,
    /** Every probe's interval, seconds (derpprobe's default is 15). */
    intervalSec: number({ int: true, min: 1, max: 3600 }),
    region: string(),
  },
  { optional: ['intervalSec', 'region'] },
);
export type MonitorRequest = Infer<typeof monitorRequest>;

/** A diagnostics run's id (12 hex characters when the main process made it). */
const runId = string({ maxBytes: 64 });

/**
 * Every call: its arguments (named, each with the validator the main process applies to untrusted input) and
 * its result type. Names, arity, argument types and the preload's allowlist all derive from this table, and the
 * handlers must cover it (ApiHandlers), so adding a call is one entry here plus its handler.
 */
export const CALLS = {
  'relay.getState': takes().returns<RelayState>(),
  'relay.start': takes().returns<RelayState>(),
  'relay.stop': takes().returns<RelayState>(),
  'relay.stats': takes().returns<RelayStats | null>(),
  'relay.certificate': takes().returns<RelayCertificate | null>(),
  /** This relay's entry for a DERP map, from its settings and where it listens. */
  'relay.mapEntry': takes().returns<MapEntry>(),
  'settings.get': takes().returns<SettingsSnapshot>(),
  'settings.save': takes(arg('settings', settingsArg)).returns<SaveSettingsResult>(),
  'peers.list': takes().returns<PeerInfo[]>(),
  /** The chosen window's samples, oldest first (see STATS_WINDOWS). */
  'stats.history': takes(arg('window', statsWindow)).returns<StatsSample[]>(),
  'trust.get': takes().returns<TrustSnapshot>(),
  'allowlist.get': takes().returns<AllowListFile | null>(),
  'allowlist.save': takes(arg('text', string())).returns<SaveAllowListResult>(),
  'map.open': takes(arg('source', mapSourceSpec)).returns<OpenedMap>(),
  /** The unified diff a save would write, without writing. */
  'map.diff': takes(arg('req', mapSaveRequest)).returns<string>(),
  'map.save': takes(arg('req', mapSaveRequest)).returns<MapSaveResult>(),
  'map.export': takes(arg('map', editedDerpMap), arg('format', mapFormat)).returns<string>(),
  'map.headscale': takes(arg('req', object({ configPath: string() }))).returns<HeadscaleMerged>(),
  /** The derp section of a headscale config.yaml, to edit it. */
  'map.headscaleDerp': takes(arg('req', object({ configPath: string() }))).returns<HeadscaleDerpOpened>(),
  /** The diff of the derp section a save would write (the section's lines only). */
  'map.headscaleDerpDiff': takes(arg('req', headscaleDerpRequest)).returns<string>(),
  /** Writes the edited derp section into config.yaml; every byte outside the section stays. */
  'map.headscaleDerpSave': takes(arg('req', headscaleDerpRequest)).returns<HeadscaleDerpSaveResult>(),
  /** Starts a run; progress and the result arrive as events with the returned id. */
  'diagnostics.run': takes(arg('req', checkRequest)).returns<{ runId: string }>(),
  'diagnostics.cancel': takes(arg('runId', runId)).returns<boolean>(),
  'diagnostics.history': takes().returns<CheckHistoryEntry[]>(),
  'diagnostics.get': takes(arg('id', runId)).returns<{ entry: CheckHistoryEntry; report: CheckReport } | null>(),
  'diagnostics.export': takes(arg('id', runId), arg('format', exportFormat)).returns<string>(),
  /** Starts monitoring (replacing a running session); the first map read's error is the call's. */
  'monitor.start': takes(arg('req', monitorRequest)).returns<MonitorSnapshot>(),
  'monitor.stop': takes().returns<MonitorSnapshot>(),
  'monitor.status': takes().returns<MonitorSnapshot>(),
  /** Per node, availability and latency buckets of the last so many hours. */
  'monitor.history': takes(arg('hours', number({ min: 1, max: 168 }))).returns<NodeHistory[]>(),
  /** Whether files.choose shows a native dialog; false in `derpdesk host`, where paths are typed. */
  'files.canChoose': takes().returns<boolean>(),
  /** Shows a native open or save dialog; the picked path (then usable by the other calls) or null if cancelled. */
  'files.choose': takes(arg('req', chooseFileRequest)).returns<string | null>(),
  /** The desktop app's tray and login-item settings; null from `derpdesk host`, which has neither. */
  'desktop.settings': takes().returns<DesktopAppSettings | null>(),
  /** Changes them (the login item is written first); refused by `derpdesk host`. */
  'desktop.saveSettings': takes(arg('patch', desktopSettingsPatch)).returns<DesktopAppSettings>(),
};

/** Calls: name -> argument tuple and result, from CALLS. */
export type ApiCalls = {
  [K in keyof typeof CALLS]: { args: ArgsOf<(typeof CALLS)[K]>; result: ResultOf<(typeof CALLS)[K]> };
};

/** Events pushed to the renderer: at most a few per second, never per packet. */
export interface ApiEvents {
  'relay.state': RelayState;
  'stats.sample': StatsSample;
  'peers.snapshot': PeerInfo[];
  /** A node's report after each finished step of a diagnostics run. */
  'diagnostics.progress': { runId: string; node: NodeReport };
  'diagnostics.done': { runId: string; entry: CheckHistoryEntry | null; error?: string };
  /** The monitor's state, at most once a second while it runs, and once when it stops. */
  'monitor.update': MonitorSnapshot;
  /** A node started failing or recovered (rate-limited per node). */
  'monitor.transition': MonitorTransition;
  /** The desktop app's settings changed (from the page or the native menu). */
  'desktop.settings': DesktopAppSettings;
}

export type CallName = keyof ApiCalls;
export type EventName = keyof ApiEvents;
export type CallArgs<K extends CallName> = ApiCalls[K]['args'];
export type CallResult<K extends CallName> = ApiCalls[K]['result'];

export const CALL_NAMES = Object.keys(CALLS) as readonly CallName[];

export const EVENT_NAMES = [
  'relay.state',
  'stats.sample',
  'peers.snapshot',
  'diagnostics.progress',
  'diagnostics.done',
  'monitor.update',
  'monitor.transition',
  'desktop.settings',
] as const satisfies readonly EventName[];

/** What the renderer holds: the same shape whether it talks to Electron's preload or the WebSocket bridge. */
export interface DerpdeskApi {
  call<K extends CallName>(name: K, ...args: CallArgs<K>): Promise<CallResult<K>>;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

/** The server side: one handler per call. */
export type ApiHandlers = { [K in CallName]: (...args: CallArgs<K>) => Promise<CallResult<K>> };

/** The handlers of the calls named `<prefix>.…`: what one feature's handler module provides. */
export type HandlersOf<P extends string> = Pick<ApiHandlers, Extract<CallName, `${P}.${string}`>>;

/** IPC channel and WebSocket method names. */
export const channelOf = (name: CallName | EventName): string => `derpdesk:${name}`;

/** WebSocket bridge messages. */
export type BridgeRequest = { id: number; call: CallName; args: unknown[] };
/** The bridge's first message, client to host: the access token, kept out of the URL that proxies and logs keep. */
export type BridgeAuth = { auth: string };
/** The host's answer to the right token; from then on calls and events flow. */
export type BridgeAuthed = { authed: true };
/** WebSocket close code for a wrong, missing or late access token. */
export const BRIDGE_CLOSE_UNAUTHORIZED = 4001;
export type BridgeMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string }
  | { event: EventName; payload: unknown };
