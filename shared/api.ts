/**
 * The API contract between the main process (or the headless host) and the renderer: every call with its
 * argument and result types, and every event. The Electron preload, the IPC handlers, the WebSocket bridge and the
 * renderer's client are all typed from this file. No dependencies.
 */
import type { DerpMap } from './derpmap/model.js';
import type { MapIssue } from './derpmap/validate.js';
import type { CheckReport, NodeReport } from './diagnostics.js';
import type { DeniedClient, PeerInfo, RelayStats } from './relay.js';
import type { RelaySettings, SettingsErrors } from './settings.js';

export type { DeniedClient, PeerInfo, RelayStats } from './relay.js';
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

export type MapFormat = 'yaml' | 'json';

/** Where the map editor opens a map from. */
export type MapSourceSpec = { kind: 'file'; path: string } | { kind: 'url'; url: string } | { kind: 'text'; text: string; name?: string };

export interface OpenedMap {
  map: DerpMap;
  format: MapFormat;
  /** The text as read: saving edits this text so that untouched parts keep their bytes. */
  text: string;
  /** Set for files: where Save writes. */
  path?: string;
  issues: MapIssue[];
}

export interface MapSaveRequest {
  path: string;
  map: DerpMap;
  format: MapFormat;
  /** The text the editor opened; a save is refused if the file changed on disk since. */
  baseText: string;
}

export type MapSaveResult = { ok: true; text: string; backup: string | null } | { ok: false; error: string; issues?: MapIssue[] };

/** The DERP map a headscale server hands its clients, assembled from its config.yaml. */
export interface HeadscaleMerged {
  map: DerpMap;
  /** Region id -> the URL, file or "headscale embedded DERP server" whose version won. */
  origins: Record<string, string>;
  /** Sources that could not be used, with why (the merged map is built from the rest, as headscale would). */
  problems: string[];
}

/** What a diagnostics run checks: a map (file, URL, pasted, or the editor's), or one relay by URL. */
export type CheckSource = MapSourceSpec | { kind: 'relay'; url: string; stunPort?: number } | { kind: 'map'; map: DerpMap; label: string };

export interface CheckRequest {
  source: CheckSource;
  region?: string;
  /** Re-run just this node. */
  node?: string;
  /** Bytes to move through each node for the bandwidth test; none when absent. */
  bandwidthBytes?: number;
}

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
}

export type ExportFormat = 'json' | 'csv' | 'markdown';

/** What a file is picked for: sets the dialog's title and file-type filter. */
export type FilePurpose = 'map' | 'headscale-config' | 'allowlist' | 'key' | 'certificate';
export const FILE_PURPOSES = ['map', 'headscale-config', 'allowlist', 'key', 'certificate'] as const satisfies readonly FilePurpose[];

export interface ChooseFileRequest {
  mode: 'open' | 'save';
  purpose: FilePurpose;
  /** Where the dialog starts: the path currently in the field, if any. */
  defaultPath?: string;
}

/** Calls: name -> [argument tuple, result]. */
export interface ApiCalls {
  'relay.getState': { args: []; result: RelayState };
  'relay.start': { args: []; result: RelayState };
  'relay.stop': { args: []; result: RelayState };
  'relay.stats': { args: []; result: RelayStats | null };
  'settings.get': { args: []; result: SettingsSnapshot };
  'settings.save': { args: [settings: RelaySettings]; result: SaveSettingsResult };
  'peers.list': { args: []; result: PeerInfo[] };
  'stats.history': { args: []; result: StatsSample[] };
  'map.entry': { args: []; result: MapEntry };
  'trust.get': { args: []; result: TrustSnapshot };
  'allowlist.get': { args: []; result: AllowListFile | null };
  'allowlist.save': { args: [text: string]; result: SaveAllowListResult };
  'map.open': { args: [source: MapSourceSpec]; result: OpenedMap };
  /** The unified diff a save would write, without writing. */
  'map.diff': { args: [req: MapSaveRequest]; result: string };
  'map.save': { args: [req: MapSaveRequest]; result: MapSaveResult };
  'map.export': { args: [map: DerpMap, format: MapFormat]; result: string };
  'map.headscale': { args: [req: { configPath: string }]; result: HeadscaleMerged };
  /** Starts a run; progress and the result arrive as events with the returned id. */
  'diagnostics.run': { args: [req: CheckRequest]; result: { runId: string } };
  'diagnostics.cancel': { args: [runId: string]; result: boolean };
  'diagnostics.history': { args: []; result: CheckHistoryEntry[] };
  'diagnostics.get': { args: [id: string]; result: { entry: CheckHistoryEntry; report: CheckReport } | null };
  'diagnostics.export': { args: [id: string, format: ExportFormat]; result: string };
  /** Whether files.choose shows a native dialog; false in `derpdesk host`, where paths are typed. */
  'files.canChoose': { args: []; result: boolean };
  /** Shows a native open or save dialog; the picked path (then usable by the other calls) or null if cancelled. */
  'files.choose': { args: [req: ChooseFileRequest]; result: string | null };
}

/** Events pushed to the renderer: at most a few per second, never per packet. */
export interface ApiEvents {
  'relay.state': RelayState;
  'stats.sample': StatsSample;
  'peers.snapshot': PeerInfo[];
  /** A node's report after each finished step of a diagnostics run. */
  'diagnostics.progress': { runId: string; node: NodeReport };
  'diagnostics.done': { runId: string; entry: CheckHistoryEntry | null; error?: string };
}

export type CallName = keyof ApiCalls;
export type EventName = keyof ApiEvents;
export type CallArgs<K extends CallName> = ApiCalls[K]['args'];
export type CallResult<K extends CallName> = ApiCalls[K]['result'];

export const CALL_NAMES = [
  'relay.getState',
  'relay.start',
  'relay.stop',
  'relay.stats',
  'settings.get',
  'settings.save',
  'peers.list',
  'stats.history',
  'map.entry',
  'trust.get',
  'allowlist.get',
  'allowlist.save',
  'map.open',
  'map.diff',
  'map.save',
  'map.export',
  'map.headscale',
  'diagnostics.run',
  'diagnostics.cancel',
  'diagnostics.history',
  'diagnostics.get',
  'diagnostics.export',
  'files.canChoose',
  'files.choose',
] as const satisfies readonly CallName[];

export const EVENT_NAMES = ['relay.state', 'stats.sample', 'peers.snapshot', 'diagnostics.progress', 'diagnostics.done'] as const satisfies readonly EventName[];

/** What the renderer holds: the same shape whether it talks to Electron's preload or the WebSocket bridge. */
export interface DerpdeskApi {
  call<K extends CallName>(name: K, ...args: CallArgs<K>): Promise<CallResult<K>>;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

/** The server side: one handler per call. */
export type ApiHandlers = { [K in CallName]: (...args: CallArgs<K>) => Promise<CallResult<K>> };

/** IPC channel and WebSocket method names. */
export const channelOf = (name: CallName | EventName): string => `derpdesk:${name}`;

/** Ring-buffer length of the charts: 5 minutes at 1 s. */
export const STATS_HISTORY_SECONDS = 300;

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
