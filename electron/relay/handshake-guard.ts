/**
 * Deadlines and per-IP limits for connections that have not finished the DERP handshake. Node's own HTTP timeouts
 * only look every 30 s and stop at the upgrade, so an idle or byte-a-second client could hold a socket for 80 s or
 * more; here every accepted socket gets one deadline, from TCP accept (before TLS and HTTP) until its DERP client
 * is active, and one address may hold only so many such sockets at once.
 *
 * Plain HTTP requests (probes, /generate_204, varz) get a fresh deadline for each request on a kept-alive
 * connection, and stay counted against their address until they close.
 */
import type { Socket } from 'node:net';
import { normalizeIp } from './transport.js';

/** derper's clients connect once and handshake at once; this many unfinished ones from one address is an attack. */
export const DEFAULT_MAX_HANDSHAKES_PER_IP = 64;

export interface HandshakeGuardCounters {
  /** Sockets closed because the DERP handshake was not done in time. */
  timedOut: number;
  /** Sockets closed at accept because their address already had too many unfinished handshakes. */
  overPerIpLimit: number;
}

interface Pending {
  socket: Socket;
  ip: string;
  timer: NodeJS.Timeout;
}

export class HandshakeGuard {
  readonly counters: HandshakeGuardCounters = { timedOut: 0, overPerIpLimit: 0 };
  /** Keyed by remote address and port: the TLS socket seen by HTTP is not the TCP socket seen at accept. */
  private readonly pending = new Map<string, Pending>();
  private readonly perIp = new Map<string, number>();

  constructor(
    private readonly timeoutMs: number,
    private readonly maxPerIp: number,
    /** Told which connection ran out of time (`ip:port`), for the log. */
    private readonly onTimeout: (who: string) => void = () => {},
  ) {}

  /** For the listener's 'connection' event: refuses the socket, or starts its deadline. */
  readonly onConnection = (socket: Socket): void => {
    if (socket.destroyed) return;
    const ip = normalizeIp(socket.remoteAddress);
    const id = connectionId(socket);
    const n = this.perIp.get(ip) ?? 0;
    if (n >= this.maxPerIp) {
      this.counters.overPerIpLimit++;
      socket.destroy();
      return;
    }
    this.perIp.set(ip, n + 1);
    this.pending.set(id, { socket, ip, timer: this.arm(socket, `${ip}:${socket.remotePort}`) });
    socket.once('close', () => this.release(id));
  };

  /** The DERP client on this socket is active: no more deadline, and it no longer counts against its address. */
  readonly done = (socket: Socket): void => {
    this.release(connectionId(socket));
  };

  /** A plain HTTP response went out: the next request on the connection gets a fresh deadline. */
  rearm(socket: Socket): void {
    const p = this.pending.get(connectionId(socket));
    if (!p) return;
    clearTimeout(p.timer);
    p.timer = this.arm(p.socket, `${p.ip}:${p.socket.remotePort}`);
  }

  private arm(socket: Socket, who: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.counters.timedOut++;
      this.onTimeout(who);
      socket.destroy();
    }, this.timeoutMs);
    timer.unref();
    return timer;
  }

  private release(id: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    const n = (this.perIp.get(p.ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(p.ip);
    else this.perIp.set(p.ip, n);
  }

  /** Connections still before the end of their handshake (or serving plain HTTP). */
  get size(): number {
    return this.pending.size;
  }
}

function connectionId(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

export function handshakeGuardVarz(counters: HandshakeGuardCounters): string[] {
  return [
    '# TYPE derpdesk_handshake_timeouts counter\n',
    `derpdesk_handshake_timeouts ${counters.timedOut}\n`,
    '# TYPE derpdesk_handshakes_over_per_ip_limit counter\n',
    `derpdesk_handshakes_over_per_ip_limit ${counters.overPerIpLimit}\n`,
  ];
}
