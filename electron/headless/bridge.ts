/**
 * The API contract over a WebSocket. A socket proves it holds the access token with its first message,
 * `{"auth": token}`, answered by `{"authed": true}`; until then it gets no call answered and no event, and a
 * wrong token, any other first message or silence past the deadline closes it with BRIDGE_CLOSE_UNAUTHORIZED.
 */
import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  BRIDGE_CLOSE_UNAUTHORIZED,
  EVENT_NAMES,
  type BridgeAuthed,
  type BridgeMessage,
  type EventName,
} from '../../shared/api.js';
import { dispatch } from '../app/dispatch.js';
import type { AppServices } from '../app/services.js';
import { refuseOnSocket } from './responses.js';
import { errorMessage } from '../../shared/errors.js';

export const AUTH_DEADLINE_MS = 5000;
/** Larger messages close the socket (1009); the biggest real call, a DERP map, is far below. */
export const MAX_MESSAGE_BYTES = 1 << 20;
/** Sockets that have not sent the token yet; more are refused (503) until some authenticate or time out. */
export const MAX_UNAUTHENTICATED = 32;
/** Calls one socket may have unanswered; more are answered with an error instead of queueing without bound. */
export const MAX_CALLS_IN_FLIGHT = 64;
/** Events are skipped for a socket whose unsent backlog is this large (a stalled browser tab). */
const MAX_BACKLOG_BYTES = 1 << 20;

export interface BridgeOptions {
  services: AppServices;
  token: string;
  /** Whether refusals go out over HTTPS (for their headers). */
  tls: boolean;
  authDeadlineMs?: number;
}

export interface Bridge {
  /** Takes over a socket whose upgrade request already passed the request guard. */
  accept(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

function tokenMatches(given: unknown, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(ws: WebSocket, msg: BridgeMessage | BridgeAuthed): void {
  if (ws.readyState !== ws.OPEN) return;
  let text: string;
  try {
    text = JSON.stringify(msg);
  } catch (err) {
    if (!('id' in msg)) return;
    text = JSON.stringify({
      id: msg.id,
      ok: false,
      error: `the result could not be sent: ${errorMessage(err)}`,
    } satisfies BridgeMessage);
  }
  ws.send(text);
}

export function createBridge(opts: BridgeOptions): Bridge {
  const { services, token } = opts;
  const deadlineMs = opts.authDeadlineMs ?? AUTH_DEADLINE_MS;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
  // A broken handshake (bad key, version or subprotocol list) is refused with the same headers as every answer.
  wss.on('wsClientError', (err, socket, req) =>
    refuseOnSocket(socket, opts.tls, req.method === 'GET' ? 400 : 405, `not a WebSocket handshake: ${err.message}`),
  );
  const sockets = new Set<WebSocket>();
  const authed = new Set<WebSocket>();
  /** Upgrades accepted and not yet authenticated, counted from before the handshake completes. */
  let unauthenticated = 0;

  const forwarders = EVENT_NAMES.map((event) => {
    const f = (payload: unknown) => {
      const msg = JSON.stringify({ event, payload } satisfies BridgeMessage);
      for (const ws of authed) if (ws.bufferedAmount < MAX_BACKLOG_BYTES) ws.send(msg);
    };
    services.events.on(event as EventName, f);
    return () => services.events.off(event as EventName, f);
  });

  const call = (ws: WebSocket, msg: unknown, inFlight: { n: number }) => {
    const m = (typeof msg === 'object' && msg !== null ? msg : {}) as Record<string, unknown>;
    const id = typeof m.id === 'number' ? m.id : -1;
    if (inFlight.n >= MAX_CALLS_IN_FLIGHT) {
      send(ws, {
        id,
        ok: false,
        error: `more than ${MAX_CALLS_IN_FLIGHT} calls in flight; wait for answers before sending more`,
      });
      return;
    }
    inFlight.n++;
    dispatch(services.handlers, m.call, m.args)
      .then(
        (result) => send(ws, { id, ok: true, result }),
        (err: unknown) => send(ws, { id, ok: false, error: errorMessage(err) }),
      )
      .finally(() => inFlight.n--);
  };

  const onConnection = (ws: WebSocket) => {
    sockets.add(ws);
    let isAuthed = false;
    const inFlight = { n: 0 };
    const deadline = setTimeout(
      () => ws.close(BRIDGE_CLOSE_UNAUTHORIZED, `no access token within ${deadlineMs} ms`),
      deadlineMs,
    );
    ws.on('close', () => {
      clearTimeout(deadline);
      sockets.delete(ws);
      authed.delete(ws);
      if (!isAuthed) unauthenticated--;
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      if (ws.readyState !== ws.OPEN) return;
      if (isBinary) return ws.close(1003, 'JSON text messages only');
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return ws.close(1007, 'not JSON');
      }
      if (isAuthed) return call(ws, msg, inFlight);
      if (!tokenMatches((msg as { auth?: unknown } | null)?.auth, token)) {
        return ws.close(BRIDGE_CLOSE_UNAUTHORIZED, 'wrong or missing access token: send {"auth": token} first');
      }
      isAuthed = true;
      unauthenticated--;
      clearTimeout(deadline);
      authed.add(ws);
      send(ws, { authed: true });
    });
  };

  return {
    accept(req, socket, head) {
      if (unauthenticated >= MAX_UNAUTHENTICATED) {
        refuseOnSocket(
          socket,
          opts.tls,
          503,
          'too many connections waiting to authenticate; try again in a few seconds',
        );
        return;
      }
      unauthenticated++;
      // A handshake that fails never reaches onConnection: give its place back when the socket goes.
      let connected = false;
      socket.once('close', () => {
        if (!connected) unauthenticated--;
      });
      wss.handleUpgrade(req, socket, head, (ws) => {
        connected = true;
        onConnection(ws);
      });
    },
    close() {
      for (const f of forwarders) f();
      for (const ws of sockets) ws.terminate();
      wss.close();
    },
  };
}
