/**
 * derper-compatible mesh: this relay dials each peer server of its region as a client with its own server key and
 * the shared mesh key, watches its connections (WatchConns -> PeerPresent/PeerGone), and forwards packets for
 * clients that live there with ForwardPacket. A dropped link is redialled with backoff and its clients forgotten.
 */
import { DerpClient } from '../derp/client.js';
import { looksLikeDisco } from '../derp/disco.js';
import { FrameType, encodeFrame } from '../derp/frames.js';
import type { NodeKeyPair } from '../derp/keys.js';
import { formatNodePublic, isHexKey } from '../derp/keys.js';
import type { Logger } from '../util/log.js';
import { MAX_SMALL_FILE_BYTES, readTextFileBounded } from '../util/read-bounded.js';
import { KeyFileError } from './keyfile.js';
import type { DerpServer, PacketForwarder } from './server.js';
import { errorMessage } from '../../shared/errors.js';

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/**
 * Forwarded packets waiting in a mesh link's socket buffer. A peer that stops reading must not grow this relay's
 * memory: beyond this, packets for its clients are dropped (counted as queue_tail) until the buffer drains.
 */
export const MESH_QUEUE_BYTES = 4 << 20;

export type MeshLinkState = 'connecting' | 'up' | 'down';

export interface MeshLinkStatus {
  url: string;
  state: MeshLinkState;
  remoteClients: number;
  forwardedOut: number;
  lastError: string | null;
}

/**
 * derper's -mesh-with entries: `host` or `host/dialhost` dialled as https://<dialhost>/derp (TLS verified against
 * host), or a full URL such as http://127.0.0.1:3340/derp.
 */
export function meshPeerUrl(entry: string): { url: string; certName?: string } {
  const e = entry.trim();
  if (/^(https?|wss?):\/\//.test(e)) return { url: new URL(e).href };
  const [host, dial] = e.split('/');
  if (!host) throw new Error(`mesh peer "${entry}" is empty`);
  return dial ? { url: `https://${dial}/derp`, certName: host } : { url: `https://${host}/derp` };
}

/** derper's -mesh-psk-file: read with a size cap, so a mistyped path cannot fill memory. */
export async function readMeshKeyFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readTextFileBounded(file, MAX_SMALL_FILE_BYTES);
  } catch (err) {
    throw new KeyFileError(`cannot read mesh key file ${file}: ${errorMessage(err)}`, { cause: err });
  }
  return parseMeshKey(text, file);
}

export function parseMeshKey(text: string, file: string): string {
  const k = text.trim();
  if (!isHexKey(k)) throw new KeyFileError(`${file}: a mesh key is 64 hex characters`);
  return k.toLowerCase();
}

export class MeshLink implements PacketForwarder {
  state: MeshLinkState = 'connecting';
  lastError: string | null = null;
  forwardedOut = 0;
  private client: DerpClient | null = null;
  private readonly present = new Set<string>();
  private backoff = MIN_BACKOFF_MS;
  private timer: NodeJS.Timeout | null = null;
  /** Armed when the link's buffer first fills up; a link still full when it fires is cut and redialled. */
  private writeTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private corked = false;

  constructor(
    private readonly server: DerpServer,
    readonly url: string,
    private readonly opts: {
      keyPair: NodeKeyPair;
      meshKey: string;
      certName?: string;
      ca?: string | Buffer;
      insecure?: boolean;
      logger: Logger;
      /** A link to another worker of this relay (-workers), not to a region peer. */
      sibling?: boolean;
    },
  ) {}

  get sibling(): boolean {
    return this.opts.sibling === true;
  }

  get name(): string {
    return this.url;
  }

  start(): void {
    this.dialSafely();
  }

  /** A failure past the connect (a bug) must not become an unhandled rejection: the link goes down and redials. */
  private dialSafely(): void {
    this.dial().catch((err: unknown) => {
      this.lastError = errorMessage(err);
      this.client?.shutdown(err instanceof Error ? err : new Error(this.lastError, { cause: err }));
      if (!this.client) this.linkDown(`dial failed: ${this.lastError}`);
    });
  }

  status(): MeshLinkStatus {
    return {
      url: this.url,
      state: this.state,
      remoteClients: this.present.size,
      forwardedOut: this.forwardedOut,
      lastError: this.lastError,
    };
  }

  forward(srcKey: Buffer, dstKey: Buffer, buf: Buffer, pktStart: number, end: number): void {
    const client = this.client;
    if (!client || client.isClosed) {
      this.server.noteDrop('gone_disconnected', looksLikeDisco(buf, pktStart, end), end - pktStart);
      return;
    }
    if (client.bufferedBytes >= MESH_QUEUE_BYTES) {
      this.server.noteDrop('queue_tail', looksLikeDisco(buf, pktStart, end), end - pktStart);
      this.armWriteTimeout(client);
      return;
    }
    this.forwardedOut++;
    this.corkUntilNextTurn(client);
    client.writeRaw(encodeFrame(FrameType.ForwardPacket, srcKey, dstKey, buf.subarray(pktStart, end)));
  }

  /** The packets forwarded in one event-loop turn leave in one write, not one syscall each. */
  private corkUntilNextTurn(client: DerpClient): void {
    if (this.corked) return;
    this.corked = true;
    client.cork();
    setImmediate(() => {
      this.corked = false;
      client.uncork();
    });
  }

  /** The mesh form of the client write timeout: a peer that reads nothing for this long is cut off. */
  private armWriteTimeout(client: DerpClient): void {
    if (this.writeTimer) return;
    const ms = this.server.meshWriteTimeoutMs;
    this.writeTimer = setTimeout(() => {
      this.writeTimer = null;
      if (client.isClosed || client.bufferedBytes < MESH_QUEUE_BYTES) return;
      this.server.noteWriteTimeout();
      client.shutdown(new Error(`write timeout: the peer has not read for ${ms / 1000} s`));
    }, ms);
    this.writeTimer.unref();
  }

  private async dial(): Promise<void> {
    if (this.stopped) return;
    this.state = 'connecting';
    this.opts.logger.debug(`mesh: dialling ${this.url}`);
    let client: DerpClient;
    try {
      client = await DerpClient.connect({
        url: this.url,
        keyPair: this.opts.keyPair,
        meshKey: this.opts.meshKey,
        certName: this.opts.certName,
        ca: this.opts.ca,
        insecureSkipVerify: this.opts.insecure,
        timeoutMs: 10_000,
      });
    } catch (err) {
      this.lastError = errorMessage(err);
      this.linkDown(`cannot connect: ${this.lastError}`);
      return;
    }
    if (this.stopped) {
      client.close();
      return;
    }
    if (client.serverPublicKey.equals(this.opts.keyPair.publicKey)) {
      // derper skips itself in -mesh-with lists; so do we, without retrying.
      this.opts.logger.info(`mesh: ${this.url} is this relay itself; not meshing with it`);
      this.state = 'down';
      client.close();
      return;
    }
    this.client = client;
    this.state = 'up';
    this.lastError = null;
    this.backoff = MIN_BACKOFF_MS;
    this.server.noteMeshLink(true);
    this.opts.logger.info(`mesh: connected to ${this.url} (${client.serverPublicKey.toString('hex').slice(0, 16)}…)`);
    const self = this.opts.keyPair.publicKey;
    client.on('peerPresent', (p) => {
      // Our own watch connection is a client over there; a route to ourselves would be a loop.
      if (p.key.equals(self)) return;
      this.present.add(p.key.toString('latin1'));
      this.server.addMeshRoute(p.key, this, p);
      if (this.opts.logger.debugEnabled)
        this.opts.logger.debug(`mesh: ${formatNodePublic(p.key).slice(0, 16)}… is reachable via ${this.url}`);
    });
    client.on('peerGone', (key) => {
      this.present.delete(key.toString('latin1'));
      this.server.removeMeshRoute(key, this);
      if (this.opts.logger.debugEnabled)
        this.opts.logger.debug(`mesh: ${formatNodePublic(key).slice(0, 16)}… left ${this.url}`);
    });
    client.once('close', (err) => {
      this.client = null;
      if (this.writeTimer) clearTimeout(this.writeTimer);
      this.writeTimer = null;
      this.server.noteMeshLink(false);
      this.lastError = err?.message ?? 'connection closed';
      this.linkDown(this.lastError);
    });
    client.watchConns();
  }

  /** Forgets the peer's clients and schedules a redial. */
  private linkDown(why: string): void {
    this.present.clear();
    this.server.removeMeshRoutesVia(this);
    this.state = 'down';
    if (this.stopped) return;
    this.opts.logger.warn(`mesh: link to ${this.url} down (${why}); retrying in ${(this.backoff / 1000).toFixed(1)} s`);
    this.timer = setTimeout(() => this.dialSafely(), this.backoff);
    this.timer.unref();
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.client?.close();
  }
}
