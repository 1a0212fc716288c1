/**
 * The API contract over the headless host's WebSocket bridge (`derpdesk host`). The access token goes in the
 * first message (`{"auth": token}`), never in the bridge URL, which proxies and logs would keep; calls flow once
 * the host answers `{"authed": true}`. Reconnects with backoff; callers see the connection state through
 * `onStatus`.
 *
 * Calls made before the first connection opens wait for it; calls made while the bridge is down fail at once
 * (rather than hanging until some later reconnect), and calls in flight when it drops are rejected.
 */
import {
  BRIDGE_CLOSE_UNAUTHORIZED,
  type ApiEvents,
  type BridgeAuth,
  type BridgeMessage,
  type CallArgs,
  type CallName,
  type CallResult,
  type DerpdeskApi,
  type EventName,
} from '../../../shared/api.js';
import { errorMessage } from '../../../shared/errors.js';

/**
 * `connecting`: the first connection is being made. `open`: authenticated; calls and events flow. `closed`: the
 * connection dropped and is being retried. `refused`: the host turned the token down (wrong or expired), or no
 * connection ever opened in several tries; no more retries.
 */
export type BridgeStatus = 'connecting' | 'open' | 'closed' | 'refused';

export interface WsApi extends DerpdeskApi {
  onStatus(listener: (s: BridgeStatus) => void): () => void;
  close(): void;
}

export interface WsOptions {
  /** First retry delay; doubles up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Attempts without ever opening before giving up as `refused`. */
  refuseAfter?: number;
}

export const DISCONNECTED = 'disconnected from the derpdesk host';
export const REFUSED = 'the derpdesk host refused this page (wrong or expired access token)';

/** `#token=...` (what `derpdesk host` prints; fragments never reach a server) or `?token=...`. */
export function tokenFromLocation(loc: { hash: string; search: string }): string | null {
  const fromHash = new URLSearchParams(loc.hash.replace(/^#/, '')).get('token');
  return fromHash || new URLSearchParams(loc.search).get('token') || null;
}

/** Turns a page URL (`http://host:port/...`) into the bridge URL on the same host. */
export function bridgeUrl(loc: { protocol: string; host: string }): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/api`;
}

function isMessage(m: unknown): m is BridgeMessage {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return typeof r.event === 'string' || (typeof r.id === 'number' && typeof r.ok === 'boolean');
}

function isAuthed(m: unknown): boolean {
  return typeof m === 'object' && m !== null && (m as Record<string, unknown>).authed === true;
}

/** Calls in flight, by id: sent only on an authenticated socket, settled by the host's answer or the drop. */
function createCallTable() {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  return {
    send<K extends CallName>(sock: WebSocket | null, name: K, args: unknown[]): Promise<CallResult<K>> {
      return new Promise<CallResult<K>>((resolve, reject) => {
        if (!sock || sock.readyState !== 1 /* OPEN */) {
          reject(new Error(DISCONNECTED));
          return;
        }
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        try {
          sock.send(JSON.stringify({ id, call: name, args }));
        } catch (err) {
          pending.delete(id);
          reject(err instanceof Error ? err : new Error(errorMessage(err), { cause: err }));
        }
      });
    },
    settle(m: Extract<BridgeMessage, { id: number }>): void {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    },
    rejectAll(message: string): void {
      for (const p of pending.values()) p.reject(new Error(message));
      pending.clear();
    },
  };
}

/** Event listeners by name; a listener that throws is logged and does not stop the others. */
function createEventHub() {
  const listeners = new Map<EventName, Set<(p: never) => void>>();
  return {
    on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const l = listener as (p: never) => void;
      set.add(l);
      return () => {
        set.delete(l);
      };
    },
    emit(event: EventName, payload: unknown): void {
      for (const l of [...(listeners.get(event) ?? [])]) {
        try {
          l(payload as never);
        } catch (err) {
          console.error(`derpdesk bridge: a ${event} listener failed`, err);
        }
      }
    },
  };
}

/** The connection status and who wants to hear about it; a new listener hears the current status at once. */
function createStatusCell() {
  let status: BridgeStatus = 'connecting';
  const statusListeners = new Set<(s: BridgeStatus) => void>();
  return {
    get: () => status,
    set(s: BridgeStatus): void {
      if (s === status) return;
      status = s;
      for (const l of [...statusListeners]) l(s);
    },
    onStatus(listener: (s: BridgeStatus) => void): () => void {
      statusListeners.add(listener);
      listener(status);
      return () => {
        statusListeners.delete(listener);
      };
    },
  };
}

interface SocketHandlers {
  /** False once the socket has been replaced or dropped: its events are then ignored. */
  isCurrent(sock: WebSocket): boolean;
  isAuthed(sock: WebSocket): boolean;
  authed(sock: WebSocket): void;
  message(m: unknown): void;
  closed(code: number): void;
}

/** One connection attempt: send the token on open, wait for `{"authed": true}`, then pass messages on. */
function openSocket(WebSocketImpl: typeof WebSocket, url: string, token: string, h: SocketHandlers): WebSocket {
  const sock = new WebSocketImpl(url);
  sock.addEventListener('open', () => {
    if (h.isCurrent(sock)) sock.send(JSON.stringify({ auth: token } satisfies BridgeAuth));
  });
  sock.addEventListener('message', (ev) => {
    if (!h.isCurrent(sock)) return;
    let m: unknown;
    try {
      m = JSON.parse(String((ev as MessageEvent).data));
    } catch {
      console.warn('derpdesk bridge: ignoring a message that is not JSON');
      return;
    }
    if (h.isAuthed(sock)) return h.message(m);
    if (isAuthed(m)) h.authed(sock);
  });
  // A failed connection reports 'error' then 'close'; the close handler does the work.
  sock.addEventListener('error', () => {});
  sock.addEventListener('close', (ev) => {
    if (h.isCurrent(sock)) h.closed((ev as CloseEvent).code);
  });
  return sock;
}

/** Calls made before the first connection opens wait here; they go on `open` and fail on `refused` or close. */
function createWaitQueue() {
  let waiting: Array<{ go: () => void; fail: (e: Error) => void }> = [];
  const take = () => {
    const w = waiting;
    waiting = [];
    return w;
  };
  return {
    wait: () => new Promise<void>((go, fail) => waiting.push({ go, fail })),
    release: () => take().forEach((x) => x.go()),
    fail: (e: Error) => take().forEach((x) => x.fail(e)),
  };
}

/**
 * When to retry: backoff doubling from minBackoffMs up to maxBackoffMs, reset once a connection is let in. The
 * host closes with BRIDGE_CLOSE_UNAUTHORIZED when it turns the token down. Browsers hide the HTTP status of a
 * refused upgrade, so a bridge that never opened in a few tries is reported as refused too, instead of retrying
 * forever.
 */
function createRetryPolicy(opts: WsOptions) {
  const minBackoff = opts.minBackoffMs ?? 250;
  const maxBackoff = opts.maxBackoffMs ?? 5000;
  const refuseAfter = opts.refuseAfter ?? 3;
  let backoff = minBackoff;
  let everOpened = false;
  let failures = 0;
  return {
    everOpened: () => everOpened,
    opened(): void {
      backoff = minBackoff;
      everOpened = true;
      failures = 0;
    },
    refuses: (closeCode: number) =>
      closeCode === BRIDGE_CLOSE_UNAUTHORIZED || (!everOpened && ++failures >= refuseAfter),
    nextDelay(): number {
      const d = backoff;
      backoff = Math.min(backoff * 2, maxBackoff);
      return d;
    },
  };
}

export function createWsApi(
  url: string,
  token: string,
  WebSocketImpl: typeof WebSocket = WebSocket,
  opts: WsOptions = {},
): WsApi {
  let ws: WebSocket | null = null;
  /** The socket that has been let in, if any: calls go only there. */
  let authedSock: WebSocket | null = null;
  let closedByUser = false;
  let retry: ReturnType<typeof setTimeout> | null = null;
  const calls = createCallTable();
  const events = createEventHub();
  const status = createStatusCell();
  const waiting = createWaitQueue();
  const policy = createRetryPolicy(opts);

  const onAuthed = (sock: WebSocket) => {
    authedSock = sock;
    policy.opened();
    status.set('open');
    waiting.release();
  };

  const onMessage = (m: unknown) => {
    if (!isMessage(m)) return;
    if ('event' in m) events.emit(m.event, m.payload);
    else calls.settle(m);
  };

  const onClosed = (code: number) => {
    ws = null;
    authedSock = null;
    calls.rejectAll(DISCONNECTED);
    if (closedByUser) return;
    if (policy.refuses(code)) {
      status.set('refused');
      waiting.fail(new Error(REFUSED));
      return;
    }
    status.set(policy.everOpened() ? 'closed' : 'connecting');
    retry = setTimeout(connect, policy.nextDelay());
  };

  const connect = () => {
    retry = null;
    ws = openSocket(WebSocketImpl, url, token, {
      isCurrent: (sock) => ws === sock,
      isAuthed: (sock) => authedSock === sock,
      authed: onAuthed,
      message: onMessage,
      closed: onClosed,
    });
  };
  connect();

  return {
    call<K extends CallName>(name: K, ...args: CallArgs<K>): Promise<CallResult<K>> {
      if (closedByUser) return Promise.reject(new Error('the bridge was closed'));
      if (status.get() === 'refused') return Promise.reject(new Error(REFUSED));
      if (status.get() === 'connecting') {
        return waiting.wait().then(() => calls.send(authedSock, name, args));
      }
      return calls.send(authedSock, name, args);
    },
    on: events.on,
    onStatus: status.onStatus,
    close() {
      closedByUser = true;
      if (retry) clearTimeout(retry);
      retry = null;
      waiting.fail(new Error('the bridge was closed'));
      const sock = ws;
      ws = null;
      authedSock = null;
      calls.rejectAll('the bridge was closed');
      sock?.close();
    },
  };
}
