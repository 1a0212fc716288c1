/**
 * A running relay: the server key, the DERP server and its listeners (HTTP or HTTPS, plus the optional port-80
 * listener that TLS deployments use for captive-portal checks and ACME HTTP-01), and with ACME, the certificate
 * manager. Used by `derpdesk relay` and the app alike.
 */
import { promises as fs } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { formatNodePublic, isHexKey } from '../derp/keys.js';
import { formatHostPort, parseHostPort } from '../util/hostport.js';
import { consoleLogger, type Logger } from '../util/log.js';
import { TokenBucket } from '../util/token-bucket.js';
import type { RateConfig } from './rate-config.js';
import { DEFAULT_MAX_HANDSHAKES_PER_IP, HandshakeGuard, handshakeGuardVarz } from './handshake-guard.js';
import { createDerpHttp, serveNoContent } from './http.js';
import { loadOrCreateServerKey, type LoadedServerKey } from './keyfile.js';
import { MeshLink, meshPeerUrl } from './mesh.js';
import { DerpServer, type AdmissionCheck, type DerpServerOptions, type RestartNotice } from './server.js';
import { renderDerpVarz } from './varz.js';
import type { BootstrapDns } from './bootstrap-dns.js';
import type { HomePage } from './site-pages.js';
import {
  AcmeCertManager,
  AcmeConfigError,
  type AcmeConfig,
  type CertificateSource,
  type CertificateState,
} from './acme/manager.js';
import { serveHttpChallenge } from './acme/http-challenge.js';
import { acmeTlsRouter } from './acme/tls-router.js';
import { errorDetail, errorMessage } from '../../shared/errors.js';
import type { RelayStats } from '../../shared/relay.js';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface RelayServiceConfig {
  /** derper's -a: ":443", "127.0.0.1:3340", "[::1]:0". */
  addr: string;
  tls: TlsFiles | null;
  /** Certificates from an ACME CA instead of `tls` files (-certmode letsencrypt): TLS on `addr` either way. */
  acme?: AcmeConfig | null;
  /** derper's -http-port: the plain-HTTP listener beside a TLS one; -1 disables it. */
  httpPort: number;
  /** Server private key file (derper's -c). */
  keyFile: string;
  meshKey?: string;
  /** The key a -workers relay's workers link to each other with (see DerpServerOptions). */
  siblingMeshKey?: string;
  /** Peer servers of the region to dial (derper's -mesh-with entries, or full URLs). */
  meshWith?: string[];
  /** Trust anchors for mesh peers' TLS (tests and private CAs). */
  meshCa?: string | Buffer;
  admissionCheck?: AdmissionCheck;
  logger?: Logger;
  /** derper's -rate-config, already loaded; reload with `derp.setRateLimits`. */
  rateConfig?: RateConfig;
  /** derper's -accept-connection-limit (per second) and -accept-connection-burst. */
  acceptLimit?: { perSecond: number; burst: number };
  /** Protocol timings; the defaults are derper's. */
  timing?: Pick<
    DerpServerOptions,
    'handshakeTimeoutMs' | 'writeTimeoutMs' | 'meshWriteTimeoutMs' | 'keepAliveMs' | 'sendQueueDepth'
  >;
  /** Extra Prometheus text appended to /debug/varz (STUN counters, ...). */
  extraVarz?: () => string[];
  /**
   * Connections from one IP address that may be between TCP accept and the end of the DERP handshake at once;
   * more are closed at accept (default 64).
   */
  maxHandshakesPerIp?: number;
  /** derper's -derp=false: everything but /derp keeps serving. */
  derpEnabled?: boolean;
  /** derper's -home. */
  home?: HomePage;
  bootstrapDns?: BootstrapDns;
  /** derper's -tcp-keepalive-time for accepted connections (default 10 minutes); 0 turns keepalives off. */
  tcpKeepAliveMs?: number;
  /** The name clients reach the relay by, for the /debug/ page. */
  hostname?: string;
  /**
   * With `acme`: the certificates as a -workers primary shares them, its ACME orders already running; this process
   * then runs none of its own.
   */
  certificates?: CertificateSource;
  /** The server key, already loaded (a -workers primary passes it over IPC); `keyFile` is then not read. */
  serverKey?: LoadedServerKey;
  /** What the relay reports of itself in /debug/varz and /debug/: a worker leaves out its links to the others. */
  statsView?: (s: RelayStats) => RelayStats;
  /** Answers /debug/varz in place of this relay's own text: a worker answers with the sum over all workers. */
  varz?: () => Promise<string>;
  /** More lines for the /debug/ index (a worker says which one answered). */
  debugFacts?: Array<[string, string]>;
  /**
   * A listener failed after the relay started (Node emits 'error' on it, e.g. EMFILE on accept). The app's controller
   * stops the relay and says so; without this the error is unhandled, as in the CLI, whose supervisor restarts it.
   */
  onListenerError?: (err: Error) => void;
}

/** derper's -tcp-keepalive-time default: long, because DERP sends its own keepalives far more often. */
export const DEFAULT_TCP_KEEPALIVE_MS = 10 * 60_000;

export interface ListeningEndpoint {
  role: 'derp' | 'http-port';
  scheme: 'http' | 'https';
  host: string;
  port: number;
  url: string;
}

/** `file`: a file given to the relay is unusable; `listen`: a port cannot be bound. */
export class RelayStartError extends Error {
  constructor(
    message: string,
    readonly kind: 'file' | 'listen',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

type AnyServer = http.Server | https.Server | net.Server;
type TlsPair = { cert: string | Buffer; key: string | Buffer };
const MIN_TLS = 'TLSv1.2';

async function openAcme(cfg: RelayServiceConfig, log: Logger): Promise<CertificateSource | null> {
  if (!cfg.acme) return null;
  if (cfg.certificates) return cfg.certificates;
  try {
    return await AcmeCertManager.open(cfg.acme, { httpChallenge: cfg.httpPort >= 0, logger: log });
  } catch (err) {
    if (err instanceof AcmeConfigError) throw new RelayStartError(err.message, 'file', { cause: err });
    throw err;
  }
}

/** The certificate to start with: the files given, the ACME cache, or none yet (handshakes fail until issued). */
async function initialTls(cfg: RelayServiceConfig, acme: CertificateSource | null): Promise<TlsPair | null> {
  if (cfg.tls) return readTls(cfg.tls);
  const cached = acme?.current();
  return cached ? { cert: cached.chainPem, key: cached.keyPem } : null;
}

async function readTls(tls: TlsFiles): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (file: string, what: string) => {
    try {
      return await fs.readFile(file);
    } catch (err) {
      throw new RelayStartError(
        // A file system error's message names the file.
        `cannot read the TLS ${what}: ${errorMessage(err)}`,
        'file',
        { cause: err },
      );
    }
  };
  return { cert: await read(tls.certFile, 'certificate'), key: await read(tls.keyFile, 'key') };
}

function listen(srv: AnyServer, host: string, port: number, what: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const where = formatHostPort(host || '*', port);
      if (err.code === 'EADDRINUSE')
        reject(
          new RelayStartError(
            `${what}: address ${where} is already in use (is another relay or web server running?)`,
            'listen',
            { cause: err },
          ),
        );
      else if (err.code === 'EACCES')
        reject(
          new RelayStartError(
            `${what}: permission denied binding ${where} (ports below 1024 need root or CAP_NET_BIND_SERVICE)`,
            'listen',
            { cause: err },
          ),
        );
      else if (err.code === 'EADDRNOTAVAIL')
        reject(
          new RelayStartError(`${what}: address ${where} is not available on this machine`, 'listen', { cause: err }),
        );
      else reject(new RelayStartError(`${what}: cannot listen on ${where}: ${err.message}`, 'listen', { cause: err }));
    };
    srv.once('error', onError);
    srv.listen({ host: host || undefined, port, ipv6Only: false }, () => {
      srv.off('error', onError);
      resolve(srv.address() as AddressInfo);
    });
  });
}

/** Answers what HTTP still lets us answer (oversized headers, a malformed request) instead of just hanging up. */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? '431 Request Header Fields Too Large'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}

/**
 * Runs a request handler so that nothing it throws leaves the 'request' event: the client gets a 500 (or a closed
 * connection if the answer had started), and its next request on the connection gets a fresh handshake deadline.
 */
function guardedRequests(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  guard: HandshakeGuard,
  log: Logger,
) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.once('finish', () => guard.rearm(req.socket));
    try {
      handler(req, res);
    } catch (err) {
      log.warn(`derp: HTTP ${req.method} handler failed: ${errorDetail(err)}`);
      if (res.headersSent) res.destroy();
      else
        res
          .writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' })
          .end('500 internal error\n');
    }
  };
}

function closeServer(srv: AnyServer): Promise<void> {
  return new Promise((resolve) => {
    srv.close(() => resolve());
    if (srv instanceof http.Server) srv.closeIdleConnections();
  });
}

/** Sockets accepted by a plain net.Server listener, which (unlike http.Server) cannot close them all itself. */
const rawSockets = new WeakMap<net.Server, Set<Socket>>();

function trackSockets(srv: net.Server): void {
  const open = new Set<Socket>();
  rawSockets.set(srv, open);
  srv.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
}

function closeAllConnections(srv: AnyServer): void {
  if (srv instanceof http.Server) srv.closeAllConnections();
  for (const socket of rawSockets.get(srv) ?? []) socket.destroy();
}

/** Checks the mesh settings before anything is bound, so a typo cannot leave a half-started relay holding ports. */
function planMesh(cfg: RelayServiceConfig): Array<{ url: string; certName?: string }> {
  if (cfg.meshKey !== undefined && cfg.meshKey !== '' && !isHexKey(cfg.meshKey)) {
    throw new RelayStartError('the mesh key must be 64 hex characters: check the -mesh-psk-file contents', 'file');
  }
  const peers = cfg.meshWith ?? [];
  if (peers.length > 0 && !cfg.meshKey) throw new RelayStartError('meshing needs a mesh key (-mesh-psk-file)', 'file');
  return peers.map((entry) => {
    try {
      return meshPeerUrl(entry);
    } catch (err) {
      throw new RelayStartError(
        `mesh peer "${entry}" is not a host, host/dialhost or URL (${errorMessage(err)})`,
        'file',
        { cause: err },
      );
    }
  });
}

function urlHost(host: string): string {
  if (!host || host === '::' || host === '0.0.0.0') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

export class RelayService {
  private constructor(
    readonly derp: DerpServer,
    readonly endpoints: ListeningEndpoint[],
    readonly keyFileCreated: boolean,
    private readonly servers: AnyServer[],
    readonly mesh: MeshLink[],
    /** Issues and renews the certificate with -certmode letsencrypt; null otherwise. */
    readonly acme: CertificateSource | null,
    /** The certificate and key files the relay serves TLS from; null for plain HTTP and ACME. */
    readonly tlsFiles: TlsFiles | null,
    /** This relay's own /debug/varz text (STUN and the other extras included). */
    readonly localVarz: () => string,
  ) {}

  static async start(cfg: RelayServiceConfig): Promise<RelayService> {
    const log = cfg.logger ?? consoleLogger;
    const listenAt = parseHostPort(cfg.addr, 'listen address');
    const meshPeers = planMesh(cfg);
    const key = cfg.serverKey ?? (await loadOrCreateServerKey(cfg.keyFile));
    if (key.looseMode !== undefined) {
      log.warn(
        `key file ${cfg.keyFile} has mode ${key.looseMode.toString(8)}; run chmod 600 on it, a private key should be readable by its owner only`,
      );
    }
    const acme = await openAcme(cfg, log);
    const tls = await initialTls(cfg, acme);
    const secure = cfg.tls !== null || acme !== null;
    const derp = new DerpServer({
      ...cfg.timing,
      keyPair: key,
      logger: log,
      meshKey: cfg.meshKey,
      siblingMeshKey: cfg.siblingMeshKey,
      admissionCheck: cfg.admissionCheck,
    });
    if (cfg.rateConfig) derp.setRateLimits(cfg.rateConfig);
    const maxPerIp = cfg.maxHandshakesPerIp ?? DEFAULT_MAX_HANDSHAKES_PER_IP;
    const onTimeout = (who: string) =>
      derp.log.warnKeyed(
        'handshake deadline',
        `derp: ${who}: handshake: not done within ${derp.handshakeTimeoutMs / 1000} s of connecting; closing this connection`,
      );
    const guard = new HandshakeGuard(derp.handshakeTimeoutMs, maxPerIp, onTimeout);
    const view = cfg.statsView ?? ((s: RelayStats) => s);
    const localVarz = () =>
      renderDerpVarz(view(derp.stats()), [
        ...handshakeGuardVarz(guard.counters),
        ...(cfg.bootstrapDns?.varz() ?? []),
        ...(cfg.extraVarz?.() ?? []),
      ]);
    const startedAt = Date.now();
    const handlers = createDerpHttp({
      server: derp,
      varz: cfg.varz ?? localVarz,
      onHandshakeDone: guard.done,
      derpEnabled: cfg.derpEnabled,
      home: cfg.home,
      bootstrapDns: cfg.bootstrapDns,
      debugFacts: () => [
        ['TLS hostname', cfg.hostname ?? ''],
        ['Mesh key', cfg.meshKey ? 'configured' : 'none'],
        ['DERP', cfg.derpEnabled === false ? 'disabled (-derp=false)' : 'enabled'],
        ['Clients', String(view(derp.stats()).gauges.currentConnections)],
        ['Uptime', `${Math.round((Date.now() - startedAt) / 1000)} s`],
        ...(cfg.debugFacts ?? []),
      ],
    });

    const main = createMainServer(secure, tls, handlers, guard, log);
    const listener = createListener(main, acme, derp, guard, cfg);
    const servers: AnyServer[] = [];
    const endpoints: ListeningEndpoint[] = [];
    try {
      const a = await listen(listener, listenAt.host, listenAt.port, 'relay');
      servers.push(listener);
      if (listener !== main) servers.push(main);
      const scheme = secure ? 'https' : 'http';
      endpoints.push({
        role: 'derp',
        scheme,
        host: a.address,
        port: a.port,
        url: `${scheme}://${urlHost(listenAt.host)}:${a.port}/derp`,
      });
      if (secure && cfg.httpPort >= 0) {
        const port80 = createPort80Server(
          a.port,
          new HandshakeGuard(derp.handshakeTimeoutMs, maxPerIp, onTimeout),
          log,
          acme,
        );
        const b = await listen(port80, listenAt.host, cfg.httpPort, 'HTTP port');
        servers.push(port80);
        endpoints.push({
          role: 'http-port',
          scheme: 'http',
          host: b.address,
          port: b.port,
          url: `http://${urlHost(listenAt.host)}:${b.port}/generate_204`,
        });
      }
    } catch (err) {
      await derp.close();
      await Promise.all(servers.map(closeServer));
      throw err;
    }
    log.info(`derp: relay ${formatNodePublic(derp.publicKey)} listening on ${endpoints.map((e) => e.url).join(', ')}`);
    const onListenerError = cfg.onListenerError;
    if (onListenerError) for (const srv of servers) srv.on('error', onListenerError);
    if (acme) startAcme(acme, main as https.Server);
    const mesh = startMesh(derp, meshPeers, key, cfg, log);
    return new RelayService(derp, endpoints, key.created, servers, mesh, acme, cfg.tls, localVarz);
  }

  /** The ACME certificate's state (issuer, names, expiry, last error, next attempt); null without ACME. */
  certificate(): CertificateState | null {
    return this.acme?.state() ?? null;
  }

  /**
   * Re-reads the TLS certificate and key files (SIGHUP): handshakes from now on get the new certificate, connections
   * already up keep theirs. A pair that cannot be used leaves the current one in force. Returns what was loaded.
   */
  async reloadTls(): Promise<string> {
    if (!this.tlsFiles)
      throw new Error(
        this.acme
          ? 'the certificate comes from the ACME server and renews itself; there are no files to reload'
          : 'the relay serves plain HTTP; there is no certificate to reload',
      );
    const { cert, key } = await readTls(this.tlsFiles);
    try {
      (this.servers[0] as https.Server).setSecureContext({ cert, key, minVersion: MIN_TLS });
    } catch (err) {
      throw new Error(
        `${this.tlsFiles.certFile} and ${this.tlsFiles.keyFile} are not a usable certificate and key: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    return this.tlsFiles.certFile;
  }

  get publicKey(): string {
    return formatNodePublic(this.derp.publicKey);
  }

  /** Stops accepting, tells connected clients to reconnect later, and closes everything. */
  async stop(notice: RestartNotice | null = { reconnectInMs: 1_000, tryForMs: 30_000 }): Promise<void> {
    for (const link of this.mesh) link.stop();
    this.acme?.stop();
    const closing = this.servers.map(closeServer);
    await this.derp.close(notice);
    // Plain HTTP requests still in flight (probes, varz) must not hold the stop open.
    for (const srv of this.servers) closeAllConnections(srv);
    await Promise.all(closing);
  }
}

/** The DERP server: plain HTTP, or TLS with the certificate given (none yet: ACME swaps one in when issued). */
function createMainServer(
  secure: boolean,
  tls: TlsPair | null,
  handlers: ReturnType<typeof createDerpHttp>,
  guard: HandshakeGuard,
  log: Logger,
): http.Server | https.Server {
  const main = secure ? https.createServer({ ...tls, minVersion: MIN_TLS }) : http.createServer();
  main.on('request', guardedRequests(handlers.onRequest, guard, log));
  serveUpgrades(main, handlers, log);
  main.on('clientError', onClientError);
  return main;
}

/** Hands `server`'s upgrade requests to the DERP handlers; one that throws costs only its own socket. */
export function serveUpgrades(
  server: http.Server,
  handlers: Pick<ReturnType<typeof createDerpHttp>, 'onUpgrade'>,
  log: Logger,
): void {
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    try {
      handlers.onUpgrade(req, socket, head);
    } catch (err) {
      log.warn(`derp: upgrade handler failed: ${errorDetail(err)}`);
      socket.destroy();
    }
  });
}

/**
 * What listens on the relay's address: the DERP server itself, or with ACME a plain TCP listener that reads each
 * ClientHello first, to send TLS-ALPN-01 validators to the challenge certificate and everyone else to the relay.
 */
function createListener(
  main: http.Server | https.Server,
  acme: CertificateSource | null,
  derp: DerpServer,
  guard: HandshakeGuard,
  cfg: AcceptConfig,
): net.Server {
  if (!acme) {
    guardAccepts(main, derp, guard, cfg);
    return main;
  }
  const listener = new net.Server();
  trackSockets(listener);
  guardAccepts(listener, derp, guard, cfg);
  listener.on('connection', acmeTlsRouter(main as https.Server, acme.alpnContext));
  return listener;
}

/** Issues or renews in the background; new handshakes get each new certificate, connections already up keep theirs. */
function startAcme(acme: CertificateSource, main: https.Server): void {
  acme.on('certificate', (c) => main.setSecureContext({ cert: c.chainPem, key: c.keyPem, minVersion: MIN_TLS }));
  acme.start();
}

/**
 * On the listening socket: handshake deadlines per connection, and the accept-rate limit, which closes connections
 * over it before any TLS or HTTP work is spent on them.
 */
type AcceptConfig = Pick<RelayServiceConfig, 'acceptLimit' | 'tcpKeepAliveMs'>;

function guardAccepts(listener: net.Server, derp: DerpServer, guard: HandshakeGuard, cfg: AcceptConfig): void {
  listener.on('connection', guard.onConnection);
  const keepAliveMs = cfg.tcpKeepAliveMs ?? DEFAULT_TCP_KEEPALIVE_MS;
  if (keepAliveMs > 0) listener.on('connection', (socket: Socket) => socket.setKeepAlive(true, keepAliveMs));
  const acceptLimit = cfg.acceptLimit;
  if (acceptLimit && Number.isFinite(acceptLimit.perSecond)) {
    const bucket = new TokenBucket(acceptLimit.perSecond, acceptLimit.burst);
    listener.prependListener('connection', (socket: Socket) => {
      if (!bucket.tryTake()) {
        derp.noteAcceptRateLimited();
        socket.destroy();
      }
    });
  }
}

/**
 * -http-port beside TLS: answers ACME HTTP-01 challenges and captive-portal checks (/generate_204), and redirects
 * everything else to https.
 */
function createPort80Server(
  httpsPort: number,
  port80Guard: HandshakeGuard,
  log: Logger,
  acme: CertificateSource | null,
): http.Server {
  const port80 = http.createServer(
    guardedRequests(
      (req, res) => {
        if (acme && serveHttpChallenge(req, res, (token) => acme.httpChallenge(token))) return;
        if ((req.url ?? '').split('?')[0] === '/generate_204') {
          serveNoContent(req, res);
          return;
        }
        const host = (req.headers.host ?? '').replace(/:\d+$/, '');
        res.writeHead(302, { Location: `https://${host}${httpsPort === 443 ? '' : `:${httpsPort}`}${req.url ?? '/'}` });
        res.end();
      },
      port80Guard,
      log,
    ),
  );
  port80.on('connection', port80Guard.onConnection);
  port80.on('clientError', onClientError);
  return port80;
}

/** One mesh link per peer (-mesh-with), each started at once. */
function startMesh(
  derp: DerpServer,
  meshPeers: ReturnType<typeof planMesh>,
  key: Awaited<ReturnType<typeof loadOrCreateServerKey>>,
  cfg: RelayServiceConfig,
  log: Logger,
): MeshLink[] {
  const mesh = meshPeers.map(
    (peer) =>
      new MeshLink(derp, peer.url, {
        keyPair: key,
        meshKey: cfg.meshKey!,
        certName: peer.certName,
        ca: cfg.meshCa,
        logger: log,
      }),
  );
  for (const link of mesh) link.start();
  return mesh;
}
