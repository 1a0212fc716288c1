/**
 * A STUN server: one UDP socket per listen address, answering every well-formed Binding Request with the
 * sender's address and dropping everything else silently. Counts requests the way derper's /debug/varz does.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIPv6 } from 'node:net';
import { formatHostPort } from '../util/hostport.js';
import { BINDING_REQUEST, HEADER_LEN, framingError } from './message.js';
import { BindingResponder, sourceFamily } from './responder.js';
import { DEFAULT_STUN_RATE_LIMIT, SourceLimiter, type StunRateLimit } from './source-limit.js';
import { errorMessage } from '../../shared/errors.js';

export interface StunListen {
  host: string;
  port: number;
  /** Skip this address (with a log line) when the machine cannot bind it, e.g. no IPv6. */
  optional?: boolean;
}

export interface StunStats {
  /** derper's stun_requests{disposition}. */
  success: number;
  notStun: number;
  writeError: number;
  readError: number;
  /** derper's stun_addrfamily{family}. */
  ipv4: number;
  ipv6: number;
  /** Requests not answered because the source port is 0 (no reply can reach it; sending one throws). */
  droppedSourcePortZero: number;
  /** Requests not answered because their source IP is over its rate limit. */
  droppedRateLimited: number;
}

export interface StunServerOptions {
  /** Per-source-IP limit on answers; the default suits real clients (see source-limit.ts). */
  rateLimit?: StunRateLimit;
}

const SOFTWARE = Buffer.from('derpdesk');
/**
 * Room for a burst of requests in the kernel while the event loop is busy (Linux caps it at net.core.rmem_max;
 * the usual default is 208 KiB, a few hundred datagrams).
 */
const RECV_BUFFER_BYTES = 4 << 20;

/** derper's default: all IPv4 and all IPv6 addresses on one port. */
export function allAddresses(port: number): StunListen[] {
  return [
    { host: '0.0.0.0', port },
    { host: '::', port, optional: true },
  ];
}

export class StunServer {
  readonly stats: StunStats = {
    success: 0,
    notStun: 0,
    writeError: 0,
    readError: 0,
    ipv4: 0,
    ipv6: 0,
    droppedSourcePortZero: 0,
    droppedRateLimited: 0,
  };
  private readonly sockets: dgram.Socket[] = [];
  private readonly limiter: SourceLimiter;
  private readonly responder = new BindingResponder(SOFTWARE);

  constructor(opts: StunServerOptions = {}) {
    this.limiter = new SourceLimiter(opts.rateLimit ?? DEFAULT_STUN_RATE_LIMIT);
  }

  /** Addresses skipped because they were optional and could not be bound, with the reason. */
  readonly skipped: string[] = [];

  /** Binds every address; on failure closes what was bound and throws a message naming the address. */
  async start(listen: StunListen[]): Promise<void> {
    try {
      for (const l of listen) {
        try {
          this.sockets.push(await this.bind(l));
        } catch (err) {
          if (!l.optional || /already in use/.test(errorMessage(err))) throw err;
          this.skipped.push(errorMessage(err));
        }
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private bind(l: StunListen): Promise<dgram.Socket> {
    const v6 = isIPv6(l.host);
    let bound = false;
    const sock = dgram.createSocket({
      type: v6 ? 'udp6' : 'udp4',
      ipv6Only: v6,
      // Once bound, the socket only sends replies to the literal addresses dgram reported: answering those at once
      // saves a dns.lookup and a tick per reply. The listen host may still be a name.
      lookup: (host, family, cb) => (bound ? cb(null, host, family as number) : dns.lookup(host, family as number, cb)),
    });
    return new Promise((resolve, reject) => {
      sock.once('error', (err: NodeJS.ErrnoException) => {
        sock.close();
        const where = formatHostPort(l.host, l.port);
        reject(
          new Error(
            err.code === 'EADDRINUSE'
              ? `STUN: address ${where} is already in use`
              : `STUN: cannot listen on ${where}: ${err.message}`,
          ),
        );
      });
      sock.bind(l.port, l.host, () => {
        bound = true;
        try {
          sock.setRecvBufferSize(RECV_BUFFER_BYTES);
        } catch {
          // The system's default buffer still works; it only drops more of a burst.
        }
        sock.removeAllListeners('error');
        sock.on('error', () => this.stats.readError++);
        sock.on('message', (msg, rinfo) => this.onMessage(sock, msg, rinfo));
        resolve(sock);
      });
    });
  }

  private onMessage(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < HEADER_LEN || msg.readUInt16BE(0) !== BINDING_REQUEST || framingError(msg) !== null) {
      this.stats.notStun++;
      return;
    }
    const { address, port } = rinfo;
    if (sourceFamily(address) === 4) this.stats.ipv4++;
    else this.stats.ipv6++;
    if (port === 0) {
      this.stats.droppedSourcePortZero++;
      return;
    }
    if (!this.limiter.allow(address, performance.now())) {
      this.stats.droppedRateLimited++;
      return;
    }
    const response = this.responder.respond(msg, address, port);
    if (response === null) {
      this.stats.notStun++;
      return;
    }
    try {
      sock.send(response, port, address, this.onSent);
    } catch {
      // Node validates the destination synchronously; an exception here would escape the 'message' event.
      this.stats.writeError++;
    }
  }

  /** One callback for every reply: no closure per request. */
  private readonly onSent = (err: Error | null): void => {
    if (err) this.stats.writeError++;
    else this.stats.success++;
  };

  /** Bound addresses as `host:port`, with real ports when 0 was asked for. */
  addresses(): StunListen[] {
    return this.sockets.map((s) => {
      const a = s.address();
      return { host: a.address, port: a.port };
    });
  }

  get requests(): number {
    return this.stats.success + this.stats.writeError;
  }

  async stop(): Promise<void> {
    const socks = this.sockets.splice(0);
    await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** derper's STUN metrics in Prometheus text form. */
export function stunVarz(s: StunStats): string[] {
  return [
    '# TYPE stun_requests counter\n',
    `stun_requests{disposition="not_stun"} ${s.notStun}\n`,
    `stun_requests{disposition="read_error"} ${s.readError}\n`,
    `stun_requests{disposition="success"} ${s.success}\n`,
    `stun_requests{disposition="write_error"} ${s.writeError}\n`,
    '# TYPE stun_addrfamily counter\n',
    `stun_addrfamily{family="ipv4"} ${s.ipv4}\n`,
    `stun_addrfamily{family="ipv6"} ${s.ipv6}\n`,
    '# TYPE derpdesk_stun_requests_dropped counter\n',
    `derpdesk_stun_requests_dropped{reason="rate_limited"} ${s.droppedRateLimited}\n`,
    `derpdesk_stun_requests_dropped{reason="source_port_zero"} ${s.droppedSourcePortZero}\n`,
  ];
}
