/**
 * The API contract over the headless host's WebSocket bridge (`derpdesk host`), with the access token from the
 * URL. Reconnects with backoff; callers see the connection state through `onStatus`.
 */
import type { ApiEvents, BridgeMessage, CallArgs, CallName, CallResult, DerpdeskApi, EventName } from '../../../shared/api.js';

/** `refused`: never got in after several tries (wrong or expired token, or no host at that address). */
export type BridgeStatus = 'connecting' | 'open' | 'closed' | 'refused';

export interface WsApi extends DerpdeskApi {
  onStatus(listener: (s: BridgeStatus) => void): () => void;
  close(): void;
}

/** `#token=...` or `?token=...`. */
export function tokenFromLocation(loc: { hash: string; search: string }): string | null {
  const fromHash = new URLSearchParams(loc.hash.replace(/^#/, '')).get('token');
  return fromHash ?? new URLSearchParams(loc.search).get('token');
}

export function createWsApi(url: string, WebSocketImpl: typeof WebSocket = WebSocket): WsApi {
  let ws: WebSocket | null = null;
  let nextId = 1;
  let closed = false;
  let backoff = 250;
  let everOpened = false;
  let failures = 0;
  let status: BridgeStatus = 'connecting';
  let opened: Promise<void>;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<EventName, Set<(p: never) => void>>();
  const statusListeners = new Set<(s: BridgeStatus) => void>();

  const setStatus = (s: BridgeStatus) => {
    status = s;
    for (const l of statusListeners) l(s);
  };

  const connect = () => {
    setStatus('connecting');
    const sock = new WebSocketImpl(url);
    ws = sock;
    opened = new Promise<void>((resolve) => {
      sock.addEventListener('open', () => {
        backoff = 250;
        everOpened = true;
        failures = 0;
        setStatus('open');
        resolve();
      });
    });
    sock.addEventListener('message', (ev: MessageEvent) => {
      const m = JSON.parse(String(ev.data)) as BridgeMessage;
      if ('event' in m) {
        for (const l of listeners.get(m.event) ?? []) l(m.payload as never);
        return;
      }
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
    // A failed connection reports 'error' then 'close'; the close handler does the work.
    sock.addEventListener('error', () => {});
    sock.addEventListener('close', () => {
      for (const p of pending.values()) p.reject(new Error('disconnected from the derpdesk host'));
      pending.clear();
      if (closed) return;
      // Browsers hide the HTTP status of a refused upgrade (the host answers 401 to a bad token), so a bridge
      // that never opened in three tries is reported as refused instead of retrying forever.
      if (!everOpened && ++failures >= 3) {
        setStatus('refused');
        return;
      }
      setStatus('closed');
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 5000);
    });
  };
  connect();

  return {
    async call<K extends CallName>(name: K, ...args: CallArgs<K>): Promise<CallResult<K>> {
      await opened;
      const id = nextId++;
      return new Promise<CallResult<K>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        ws!.send(JSON.stringify({ id, call: name, args }));
      });
    },
    on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (p: never) => void);
      return () => set!.delete(listener as (p: never) => void);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      listener(status);
      return () => statusListeners.delete(listener);
    },
    close() {
      closed = true;
      ws?.close();
    },
  };
}
