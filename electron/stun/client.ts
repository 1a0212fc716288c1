/**
 * A STUN client in Tailscale's request form: learns the mapped (public) address and measures round-trip time,
 * with retries. Diagnostics use it for netcheck-style checks.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { formatHostPort } from '../util/hostport.js';
import { encodeBindingRequest, ipToString, parseBindingResponse } from './message.js';

export interface StunProbeOptions {
  host: string;
  port: number;
  timeoutMs?: number;
  retries?: number;
  signal?: AbortSignal;
  /**
   * Send from this socket (the caller's; it stays open). Probing several servers from one socket is how
   * netcheck learns whether the NAT maps the same local port to different public ports (hard NAT).
   */
  socket?: dgram.Socket;
}

export interface StunProbeResult {
  mappedAddress: string;
  mappedPort: number;
  family: 4 | 6;
  rttMs: number;
  attempts: number;
}

export class StunProbeError extends Error {}

/** Sends Binding Requests (a fresh transaction per try, backing off) until one is answered. */
export function stunProbe(opts: StunProbeOptions): Promise<StunProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const retries = opts.retries ?? 3;
  const where = formatHostPort(opts.host, opts.port);
  const own = !opts.socket;
  const sock = opts.socket ?? dgram.createSocket(isIPv6(opts.host) ? 'udp6' : 'udp4');
  return new Promise<StunProbeResult>((resolve, reject) => {
    let attempt = 0;
    let timer: NodeJS.Timeout | null = null;
    const sent = new Map<string, bigint>();
    const finish = (err: Error | null, result?: StunProbeResult) => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      sock.off('message', onMessage);
      sock.off('error', onError);
      if (own) sock.close();
      if (err) reject(err);
      else resolve(result!);
    };
    const onAbort = () => finish(new StunProbeError(`STUN probe of ${where} aborted`));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const onError = (err: Error) =>
      finish(new StunProbeError(`STUN probe of ${where}: ${err.message}`, { cause: err }));
    sock.on('error', onError);
    const onMessage = (msg: Buffer) => {
      if (msg.length < 20) return;
      const txid = msg.subarray(8, 20);
      const at = sent.get(txid.toString('hex'));
      if (at === undefined) return;
      const r = parseBindingResponse(msg, txid);
      if (!r.ok) return;
      finish(null, {
        mappedAddress: ipToString(r.addr),
        mappedPort: r.addr.port,
        family: r.addr.family,
        rttMs: Number(process.hrtime.bigint() - at) / 1e6,
        attempts: attempt,
      });
    };
    sock.on('message', onMessage);
    const send = () => {
      if (attempt >= retries) {
        finish(new StunProbeError(`no STUN reply from ${where} after ${retries} ${retries === 1 ? 'try' : 'tries'}`));
        return;
      }
      attempt++;
      const txid = randomBytes(12);
      sent.set(txid.toString('hex'), process.hrtime.bigint());
      sock.send(encodeBindingRequest(txid), opts.port, opts.host, (err) => {
        if (err) finish(new StunProbeError(`STUN probe of ${where}: ${err.message}`, { cause: err }));
      });
      timer = setTimeout(send, timeoutMs * attempt);
    };
    send();
  });
}
