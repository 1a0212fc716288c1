/**
 * The byte stream under a DERP connection: a TCP or TLS socket after the HTTP upgrade, or a WebSocket whose
 * binary messages carry DERP bytes. The relay only ever sees this interface.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { WebSocket } from 'ws';
import { unmapIPv4 } from '../util/ip.js';

export interface TransportHandlers {
  onData(chunk: Buffer): void;
  onDrain(): void;
  onClose(): void;
}

export interface Transport {
  readonly kind: 'tcp' | 'tls' | 'websocket';
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Bytes accepted for writing but not yet handed to the kernel. */
  readonly bufferedBytes: number;
  start(handlers: TransportHandlers): void;
  /** Writes the frames as one batch (one syscall where possible). */
  writeBatch(frames: Buffer[], count: number): void;
  pauseReading(): void;
  resumeReading(): void;
  /** Flush what is written, then close. */
  end(): void;
  destroy(): void;
}

/** `::ffff:1.2.3.4` from a dual-stack listener is the IPv4 client 1.2.3.4. */
export function normalizeIp(addr: string | undefined): string {
  return addr ? unmapIPv4(addr) : '';
}

export class SocketTransport implements Transport {
  readonly kind: 'tcp' | 'tls';
  readonly remoteAddress: string;
  readonly remotePort: number;

  constructor(
    private readonly socket: Socket,
    private readonly head: Buffer,
  ) {
    this.kind = socket instanceof TLSSocket ? 'tls' : 'tcp';
    this.remoteAddress = normalizeIp(socket.remoteAddress);
    this.remotePort = socket.remotePort ?? 0;
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  start(h: TransportHandlers): void {
    const s = this.socket;
    s.setNoDelay(true);
    s.on('data', h.onData);
    s.on('drain', h.onDrain);
    // Node leaves an upgraded socket half-open when the peer sends FIN; without this, a client that leaves
    // would never be unregistered and its peers would never get PeerGone.
    s.on('end', () => s.destroy());
    s.on('error', () => s.destroy());
    s.once('close', h.onClose);
    if (this.head.length > 0) h.onData(this.head);
    if (s.destroyed) h.onClose();
  }

  writeBatch(frames: Buffer[], count: number): void {
    const s = this.socket;
    if (s.destroyed) return;
    if (count === 1) {
      s.write(frames[0]);
      return;
    }
    s.cork();
    for (let i = 0; i < count; i++) s.write(frames[i]);
    s.uncork();
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class WebSocketTransport implements Transport {
  readonly kind = 'websocket' as const;
  readonly remoteAddress: string;
  readonly remotePort: number;
  private handlers: TransportHandlers | null = null;

  constructor(
    private readonly ws: WebSocket,
    socket: Socket,
  ) {
    this.remoteAddress = normalizeIp(socket.remoteAddress);
    this.remotePort = socket.remotePort ?? 0;
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  start(h: TransportHandlers): void {
    this.handlers = h;
    this.ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      if (!isBinary) {
        this.ws.close(1003, 'DERP over WebSocket uses binary messages');
        return;
      }
      if (Array.isArray(data)) for (const d of data) h.onData(d);
      else h.onData(Buffer.isBuffer(data) ? data : Buffer.from(data));
    });
    this.ws.on('error', () => this.ws.terminate());
    this.ws.once('close', h.onClose);
  }

  writeBatch(frames: Buffer[], count: number): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    // One message per batch: DERP frames may span or share WebSocket messages.
    const msg = count === 1 ? frames[0] : Buffer.concat(frames.slice(0, count));
    this.ws.send(msg, { binary: true }, () => {
      if (this.ws.bufferedAmount === 0) this.handlers?.onDrain();
    });
  }

  pauseReading(): void {
    this.ws.pause();
  }

  resumeReading(): void {
    this.ws.resume();
  }

  end(): void {
    this.ws.close(1000);
  }

  destroy(): void {
    this.ws.terminate();
  }
}
