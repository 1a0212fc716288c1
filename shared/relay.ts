/**
 * Relay data shared by the main process and the renderer: what the relay reports about itself and its peers.
 * Plain data only (it crosses IPC and the WebSocket bridge).
 */

export const DROP_REASONS = [
  'unknown_dest',
  'unknown_dest_on_fwd',
  'gone_disconnected',
  'queue_head',
  'queue_tail',
  'write_error',
  'dup_client',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export type PacketKind = 'disco' | 'other';

export interface RelayCounters {
  accepts: number;
  packetsReceived: number;
  bytesReceived: number;
  packetsReceivedDisco: number;
  packetsReceivedOther: number;
  packetsSent: number;
  bytesSent: number;
  packetsDropped: number;
  bytesDropped: number;
  packetsForwardedIn: number;
  packetsForwardedOut: number;
  peerGoneDisconnectedFrames: number;
  peerGoneNotHereFrames: number;
  gotPing: number;
  sentPong: number;
  unknownFrames: number;
  homeMovesIn: number;
  homeMovesOut: number;
  handshakeFailures: number;
  writeTimeouts: number;
  dupClientConnTotal: number;
  /** Clients refused by the allowlist or the verify URL. */
  clientsDenied: number;
  /** Times a client's reads were paused by its own or the global rate limit (derper's rate_limit_*_waited). */
  rateLimitPerClientWaited: number;
  rateLimitGlobalWaited: number;
  /** New connections closed by the accept rate limit. */
  acceptsRateLimited: number;
  /** Packets and bytes dropped, by reason and kind (derper's derp_packets_dropped labels). */
  dropped: Record<DropReason, Record<PacketKind, { packets: number; bytes: number }>>;
}

/** A client refused admission, as the GUI lists it. */
export interface DeniedClient {
  key: string;
  remoteAddress: string;
  reason: string;
  at: number;
}

export interface RelayGauges {
  currentConnections: number;
  currentHomeConnections: number;
  currentNotIdealConnections: number;
  clientsLocal: number;
  /** Keys connected to mesh peers (and not here). */
  clientsRemote: number;
  meshLinks: number;
  dupClientKeys: number;
  dupClientConns: number;
  watchers: number;
}

export interface RelayStats {
  /** Milliseconds since the Unix epoch when this snapshot was taken. */
  at: number;
  serverPublicKey: string;
  counters: RelayCounters;
  gauges: RelayGauges;
}

export interface PeerInfo {
  /** Connection number, unique for the life of the relay process. */
  id: number;
  /** `nodekey:<hex>` */
  key: string;
  remoteAddress: string;
  remotePort: number;
  connectedAt: number;
  preferred: boolean;
  isMeshPeer: boolean;
  isProber: boolean;
  notIdeal: boolean;
  transport: 'tcp' | 'tls' | 'websocket';
  bytesIn: number;
  packetsIn: number;
  bytesOut: number;
  packetsOut: number;
  /** All of dropsBy: every packet this peer sent, or was sent, that the relay had to drop. */
  drops: number;
  dropsBy: PeerDrops;
  /**
   * Times the rate limit paused reading from this peer. A rate limit drops nothing: the relay stops reading, and
   * TCP slows the sender down.
   */
  rateLimitWaits: number;
  /** True when another connection with the same key is the active one. */
  inactiveDuplicate: boolean;
}

/** A peer's dropped packets by reason; the reason says whether the peer was the sender or the destination. */
export interface PeerDrops {
  /** Sent by this peer to a key connected neither here nor to a mesh peer (or, for a mesh peer, forwarded so). */
  unknownDest: number;
  /** Addressed to this peer while its send queue was full: the oldest queued packet gave way. */
  queueFull: number;
  /** Addressed to this peer and still queued when it was cut for not reading (write timeout). */
  writeTimeout: number;
}

/** Days before expiry at which the app warns about the certificate the relay serves. */
export const CERT_EXPIRY_WARN_DAYS = 14;

/** The certificate the running relay serves, for the dashboard. */
export interface RelayCertificate {
  mode: 'manual' | 'self-signed' | 'letsencrypt';
  /**
   * valid; expiring (within CERT_EXPIRY_WARN_DAYS); expired; obtaining (Let's Encrypt, none issued yet);
   * failed (Let's Encrypt could not issue or renew: see lastError).
   */
  status: 'valid' | 'expiring' | 'expired' | 'obtaining' | 'failed';
  issuer?: string;
  /** The names and addresses it is valid for (subjectAltName). */
  names?: string[];
  /** ISO time. */
  notAfter?: string;
  daysLeft?: number;
  /** The `sha256-raw:` pin clients need for a self-signed certificate (the DERP map's CertName). */
  certName?: string;
  /** Let's Encrypt: the last failure and when it tries again (renewal or retry), ISO time. */
  lastError?: string;
  nextAttempt?: string;
}
