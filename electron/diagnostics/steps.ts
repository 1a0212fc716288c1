/**
 * The individual checks run against one DERP node. Each returns a StepResult (never throws) with a plain-language
 * detail and, when something is wrong, what to do about it.
 */
import { X509Certificate, createHash } from 'node:crypto';
import dns from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { StepResult } from '../../shared/diagnostics.js';
import { countOf } from '../../shared/words.js';
import type { DerpNode } from '../../shared/derpmap/model.js';
import { DerpClient } from '../derp/client.js';
import { stunProbe } from '../stun/client.js';
import { errorMessage } from '../../shared/errors.js';
import { isNotTls, readableError } from './errors.js';

export const CERT_WARN_DAYS = 14;

export interface NodeTarget {
  node: DerpNode;
  /** https for real nodes; http for plain relays named by an http:// URL (private networks, tests). */
  scheme: 'https' | 'http';
  port: number;
  stunPort: number;
  timeoutMs: number;
  /** Trust anchors for TLS (tests and private CAs). */
  ca?: string | Buffer;
  /** Port of the captive-portal check: 80 in the real world, another in tests. */
  captivePort?: number;
}

const since = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;

export function derpUrl(t: NodeTarget): string {
  const h = t.node.HostName.includes(':') ? `[${t.node.HostName}]` : t.node.HostName;
  return `${t.scheme}://${h}:${t.port}/derp`;
}

export function clientOptions(t: NodeTarget, connectAddress?: string) {
  return {
    url: derpUrl(t),
    certName: t.node.CertName,
    insecureSkipVerify: t.node.InsecureForTests,
    ca: t.ca,
    timeoutMs: t.timeoutMs,
    connectAddress,
  };
}

/** A and AAAA for HostName, or the node's own IPv4/IPv6 ("none" turns a family off). */
export async function checkDns(t: NodeTarget): Promise<{ step: StepResult; v4: string | null; v6: string | null }> {
  const t0 = performance.now();
  const n = t.node;
  const pick = async (family: 4 | 6, override: string | undefined): Promise<string | null> => {
    if (override === 'none') return null;
    if (override) return override;
    if (net.isIP(n.HostName) === family) return n.HostName;
    if (net.isIP(n.HostName)) return null;
    const r = await dns.lookup(n.HostName, { family, all: true }).catch(() => []);
    return r[0]?.address ?? null;
  };
  const [v4, v6] = await Promise.all([pick(4, n.IPv4), pick(6, n.IPv6)]);
  const ms = since(t0);
  if (!v4 && !v6) {
    return {
      v4,
      v6,
      step: {
        step: 'dns',
        status: 'fail',
        ms,
        detail: `${n.HostName} has no IPv4 or IPv6 address`,
        advice: 'check the DNS records of HostName, or set IPv4/IPv6 in the DERP map',
      },
    };
  }
  return {
    v4,
    v6,
    step: {
      step: 'dns',
      status: 'ok',
      ms,
      detail: `IPv4 ${v4 ?? '—'}, IPv6 ${v6 ?? '—'}`,
      data: { ipv4: v4 ?? '', ipv6: v6 ?? '' },
    },
  };
}

export function checkTcp(addr: string | null, t: NodeTarget, family: 4 | 6): Promise<StepResult> {
  const step = family === 4 ? 'tcp4' : 'tcp6';
  if (!addr) return Promise.resolve({ step, status: 'skip', detail: `no IPv${family} address` });
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = net.connect({ host: addr, port: t.port });
    const timer = setTimeout(
      () =>
        done({
          step,
          status: 'fail',
          ms: since(t0),
          detail: `no TCP connection to ${addr}:${t.port} within ${t.timeoutMs} ms`,
          advice: `check that the relay listens on port ${t.port} and that firewalls allow it`,
        }),
      t.timeoutMs,
    );
    const done = (r: StepResult) => {
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    s.once('connect', () =>
      done({
        step,
        status: 'ok',
        ms: since(t0),
        detail: `connected to ${net.isIPv6(addr) ? `[${addr}]` : addr}:${t.port}`,
      }),
    );
    s.once('error', (e: NodeJS.ErrnoException) =>
      done({
        step,
        status: 'fail',
        ms: since(t0),
        detail: `TCP to ${net.isIPv6(addr) ? `[${addr}]` : addr}:${t.port}: ${readableError(e)}`,
        advice:
          e.code === 'ECONNREFUSED'
            ? `is the relay running, and does it listen on port ${t.port}?`
            : 'check routing and firewalls',
      }),
    );
  });
}

/** Handshake, chain, dates, name or sha256-raw pin, exactly as a Tailscale client would judge them. */
export function checkTls(addr: string | null, t: NodeTarget): Promise<StepResult> {
  if (t.scheme === 'http') return Promise.resolve({ step: 'tls', status: 'skip', detail: 'plain HTTP relay (no TLS)' });
  if (!addr) return Promise.resolve({ step: 'tls', status: 'skip', detail: 'no address to connect to' });
  const n = t.node;
  const pin = n.CertName?.startsWith('sha256-raw:') ? n.CertName.slice(11).toLowerCase() : null;
  const name = n.CertName && !pin ? n.CertName : n.HostName;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = tls.connect({
      host: addr,
      port: t.port,
      servername: net.isIP(name) ? undefined : name,
      ca: t.ca,
      rejectUnauthorized: false,
    });
    const timer = setTimeout(
      () => done({ step: 'tls', status: 'fail', ms: since(t0), detail: `no TLS handshake within ${t.timeoutMs} ms` }),
      t.timeoutMs,
    );
    const done = (r: StepResult) => {
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    s.once('error', (e) =>
      done(
        isNotTls(e)
          ? {
              step: 'tls',
              status: 'fail',
              ms: since(t0),
              detail: `port ${t.port} does not speak TLS: ${readableError(e)}`,
              advice: `if it is a plain HTTP relay, check http://${n.HostName}:${t.port} instead; otherwise point DERPPort at the relay's TLS port`,
            }
          : {
              step: 'tls',
              status: 'fail',
              ms: since(t0),
              detail: `TLS handshake failed: ${readableError(e)}`,
              advice: 'the server refused the handshake: check its certificate and TLS settings',
            },
      ),
    );
    s.once('secureConnect', () =>
      done(judgeCertificate(s, { pin, name, insecure: Boolean(n.InsecureForTests) }, since(t0))),
    );
  });
}

/** What the node's map entry asks of its certificate: a sha256-raw pin, or a valid chain for `name`. */
interface CertExpectation {
  pin: string | null;
  name: string;
  insecure: boolean;
}

type CertProblem = { detail: string; advice: string };

/** The certificate the server sent, as the step reports it. */
function describeCertificate(raw: Buffer) {
  const cert = new X509Certificate(raw);
  const fp = createHash('sha256').update(raw).digest('hex');
  const notAfter = new Date(cert.validTo);
  const notBefore = new Date(cert.validFrom);
  const days = Math.floor((notAfter.getTime() - Date.now()) / 86_400_000);
  const data = {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    notAfter: notAfter.toISOString(),
    fingerprint: `sha256-raw:${fp}`,
    daysLeft: days,
  };
  const base = `${data.subject}, issued by ${data.issuer}, expires ${notAfter.toISOString().slice(0, 10)}`;
  return { fp, notAfter, notBefore, days, data, base };
}

/** Judged in a Tailscale client's order: dates, then the pin or the name and the chain, then expiry soon. */
function judgeCertificate(s: tls.TLSSocket, want: CertExpectation, ms: number): StepResult {
  const peer = s.getPeerCertificate();
  if (!peer?.raw) return { step: 'tls', status: 'fail', ms, detail: 'the server sent no certificate' };
  const c = describeCertificate(peer.raw);
  const problem = certDateProblem(c) ?? certIdentityProblem(s, peer, c.fp, want);
  if (problem) return { step: 'tls', status: 'fail', ms, ...problem, data: c.data };
  if (c.days < CERT_WARN_DAYS)
    return {
      step: 'tls',
      status: 'warn',
      ms,
      detail: `certificate expires in ${countOf(c.days, 'day')} (${c.base})`,
      advice: 'renew it soon',
      data: c.data,
    };
  return {
    step: 'tls',
    status: 'ok',
    ms,
    detail: want.pin ? `pinned certificate matches (${c.base})` : c.base,
    data: c.data,
  };
}

function certDateProblem(c: ReturnType<typeof describeCertificate>): CertProblem | null {
  if (Date.now() > c.notAfter.getTime())
    return {
      detail: `certificate expired on ${c.notAfter.toISOString().slice(0, 10)} (${c.base})`,
      advice: 'renew the certificate',
    };
  if (Date.now() < c.notBefore.getTime())
    return {
      detail: `certificate not valid before ${c.notBefore.toISOString()}`,
      advice: "check the server's clock and the certificate's dates",
    };
  return null;
}

/** A pinned node must send exactly the pinned certificate; otherwise the name must match and the chain be trusted. */
function certIdentityProblem(
  s: tls.TLSSocket,
  peer: tls.PeerCertificate,
  fp: string,
  want: CertExpectation,
): CertProblem | null {
  if (want.pin) {
    if (fp !== want.pin)
      return {
        detail: `certificate does not match the pin: server sends sha256-raw:${fp}`,
        advice: 'update CertName in the DERP map to the new certificate, or restore the pinned one',
      };
    return null;
  }
  if (want.insecure) return null;
  const nameErr = tls.checkServerIdentity(want.name, peer);
  if (nameErr)
    return {
      detail: `certificate is not valid for ${want.name}: ${nameErr.message}`,
      advice: 'use a certificate for HostName (or CertName), or pin it with sha256-raw:',
    };
  if (!s.authorized)
    return {
      detail: `certificate is not trusted: ${String(s.authorizationError)}`,
      advice: 'use a certificate from a public CA, or a self-signed one pinned with CertName sha256-raw:',
    };
  return null;
}

export async function checkHttpProbe(addr: string | null, t: NodeTarget): Promise<StepResult> {
  if (!addr) return { step: 'http-probe', status: 'skip', detail: 'no address' };
  const t0 = performance.now();
  const url = derpUrl(t).replace(/\/derp$/, '/derp/probe');
  try {
    const res = (await fetchVia(url, addr, t)).status;
    const ms = since(t0);
    return res === 200
      ? { step: 'http-probe', status: 'ok', ms, detail: `/derp/probe answered in ${ms} ms` }
      : {
          step: 'http-probe',
          status: 'warn',
          ms,
          detail: `/derp/probe answered HTTP ${res}`,
          advice: 'clients without UDP use this endpoint to measure latency',
        };
  } catch (err) {
    return { step: 'http-probe', status: 'fail', ms: since(t0), detail: `/derp/probe: ${readableError(err)}` };
  }
}

/** GET through a fixed address (the node's IPv4/IPv6 may differ from DNS), with the node's TLS rules. */
function fetchVia(
  url: string,
  addr: string,
  t: NodeTarget,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const opts = {
      host: addr,
      port: Number(u.port),
      path: u.pathname,
      method: 'GET',
      headers: { Host: u.host, ...headers },
      timeout: t.timeoutMs,
      rejectUnauthorized: false,
      servername: net.isIP(u.hostname) ? undefined : u.hostname,
    };
    const req = (u.protocol === 'https:' ? https : http).request(opts, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${t.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Handshake (server key), several connects to spot a load balancer, a packet round trip, Ping/Pong. */
export async function checkDerp(addr: string | null, t: NodeTarget): Promise<StepResult[]> {
  if (!addr) return [{ step: 'derp', status: 'skip', detail: 'no address' }];
  const t0 = performance.now();
  let a: DerpClient;
  try {
    a = await DerpClient.connect({ ...clientOptions(t, addr), isProber: true });
  } catch (err) {
    return [
      {
        step: 'derp',
        status: 'fail',
        ms: since(t0),
        detail: `DERP handshake failed: ${readableError(err)}`,
        advice:
          'is this a DERP relay (derper, headscale, derpdesk) at this port, and does it admit unknown clients (verify-clients)?',
      },
    ];
  }
  const serverKey = a.serverPublicKey.toString('hex');
  const out: StepResult[] = [
    {
      step: 'derp',
      status: 'ok',
      ms: since(t0),
      detail: `handshake done, server key nodekey:${serverKey}`,
      data: { serverKey },
    },
  ];
  try {
    const keys = new Set([serverKey]);
    for (let i = 0; i < 3; i++) {
      const c = await DerpClient.connect({ ...clientOptions(t, addr), isProber: true });
      keys.add(c.serverPublicKey.toString('hex'));
      c.close();
    }
    out.push(
      keys.size > 1
        ? {
            step: 'derp-keys',
            status: 'warn',
            detail: `${keys.size} different server keys in 4 connections: behind a load balancer?`,
            advice:
              'each DERP node must be one server: clients connected to different servers behind one name cannot reach each other unless they mesh',
            data: { keys: [...keys] },
          }
        : { step: 'derp-keys', status: 'ok', detail: 'the same server key on every connection' },
    );
    const b = await DerpClient.connect({ ...clientOptions(t, addr), isProber: true });
    const t1 = performance.now();
    const arrived = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no packet within ${t.timeoutMs} ms`)), t.timeoutMs);
      b.onPacket = () => {
        clearTimeout(timer);
        resolve(since(t1));
      };
    });
    a.send(b.publicKey, Buffer.from('derpdesk check'));
    try {
      const rtt = await arrived;
      const ping = await a.ping(t.timeoutMs);
      out.push({
        step: 'derp-roundtrip',
        status: 'ok',
        ms: rtt,
        detail: `packet relayed in ${rtt} ms; ping ${ping.toFixed(1)} ms`,
        data: { pingMs: ping },
      });
    } catch (err) {
      out.push({
        step: 'derp-roundtrip',
        status: 'fail',
        detail: `packet between two clients: ${readableError(err)}`,
        advice: 'the relay accepts clients but does not forward between them',
      });
    }
    b.close();
  } catch (err) {
    out.push({ step: 'derp-keys', status: 'fail', detail: readableError(err) });
  } finally {
    a.close();
  }
  return out;
}

export async function checkStun(
  addr: string | null,
  t: NodeTarget,
  family: 4 | 6,
  socket?: import('node:dgram').Socket,
): Promise<StepResult> {
  const step = family === 4 ? 'stun4' : 'stun6';
  if (t.stunPort === -1) return { step, status: 'skip', detail: 'STUN disabled (STUNPort -1)' };
  if (!addr) return { step, status: 'skip', detail: `no IPv${family} address` };
  const t0 = performance.now();
  try {
    const r = await stunProbe({
      host: addr,
      port: t.stunPort,
      timeoutMs: Math.min(1000, t.timeoutMs),
      retries: 3,
      socket,
    });
    const lost = r.attempts - 1;
    return {
      step,
      status: lost > 0 ? 'warn' : 'ok',
      ms: Math.round(r.rttMs * 10) / 10,
      detail: `public address ${r.mappedAddress}:${r.mappedPort}, ${r.rttMs.toFixed(1)} ms${lost ? `, ${lost} of ${r.attempts} requests lost` : ''}`,
      data: { address: r.mappedAddress, port: r.mappedPort, server: `${addr}:${t.stunPort}`, serverIp: addr },
    };
  } catch (err) {
    return {
      step,
      status: 'fail',
      ms: since(t0),
      detail: readableError(err),
      // A relay checked on the wrong STUN port looks exactly like a blocked one; say both.
      advice: `is the relay's STUN server on UDP ${t.stunPort}? If not, give its port (STUNPort in the map, "STUN port" or --stun-port for a relay URL); if it is, UDP ${t.stunPort} is blocked here or at the server. Without STUN, clients cannot find direct paths and fall back to DERP`,
    };
  }
}

export async function checkCaptivePortal(addr: string | null, t: NodeTarget): Promise<StepResult> {
  if (!t.node.CanPort80) return { step: 'captive-portal', status: 'skip', detail: 'CanPort80 is not set' };
  if (!addr) return { step: 'captive-portal', status: 'skip', detail: 'no address' };
  const challenge = 'ts_derpdesk-check';
  const t0 = performance.now();
  try {
    const { status, headers } = await fetchVia(
      `http://${t.node.HostName}:${t.captivePort ?? 80}/generate_204`,
      addr,
      t,
      { 'X-Tailscale-Challenge': challenge },
    );
    const ms = since(t0);
    const resp = headers['x-tailscale-response'];
    if (status !== 204)
      return {
        step: 'captive-portal',
        status: 'fail',
        ms,
        detail: `/generate_204 answered HTTP ${status}`,
        advice: 'a captive portal or proxy is in the way, or port 80 is another server',
        data: { portal: true },
      };
    if (resp !== `response ${challenge}`)
      return {
        step: 'captive-portal',
        status: 'warn',
        ms,
        detail: '204 without the X-Tailscale-Response challenge answer',
        advice: 'Tailscale clients expect the challenge to be echoed (derper and derpdesk do it; headscale does not)',
        data: { portal: false },
      };
    return {
      step: 'captive-portal',
      status: 'ok',
      ms,
      detail: '204 with the challenge answered',
      data: { portal: false },
    };
  } catch (err) {
    return {
      step: 'captive-portal',
      status: 'fail',
      ms: since(t0),
      detail: `http://…/generate_204: ${readableError(err)}`,
      advice: 'port 80 is not reachable: clear CanPort80 in the map, or open port 80',
    };
  }
}

/**
 * derpprobe's mesh probe: a client on `from` sends to a client on `to`; the packet arrives only if the two servers
 * mesh (or are the same server).
 */
export async function checkMeshPair(
  from: NodeTarget,
  fromAddr: string | null,
  to: NodeTarget,
  toAddr: string | null,
): Promise<StepResult> {
  const label = `${from.node.Name} -> ${to.node.Name}`;
  if (!fromAddr || !toAddr) return { step: 'mesh', status: 'skip', detail: `${label}: no address` };
  const t0 = performance.now();
  let a: DerpClient | null = null;
  let b: DerpClient | null = null;
  try {
    a = await DerpClient.connect({ ...clientOptions(from, fromAddr), isProber: true });
    b = await DerpClient.connect({ ...clientOptions(to, toAddr), isProber: true });
    const rx = b;
    const arrived = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timeout')), from.timeoutMs);
      rx.onPacket = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    // The sender's server learns of the receiver through the mesh watch; retry briefly while that propagates.
    const tx = a;
    const resend = setInterval(() => tx.send(rx.publicKey, Buffer.from('derpdesk mesh check')), 100);
    tx.send(rx.publicKey, Buffer.from('derpdesk mesh check'));
    try {
      await arrived;
    } finally {
      clearInterval(resend);
    }
    return { step: 'mesh', status: 'ok', ms: since(t0), detail: `${label}: packet delivered` };
  } catch (err) {
    const msg = errorMessage(err);
    return msg === 'timeout'
      ? {
          step: 'mesh',
          status: 'fail',
          ms: since(t0),
          detail: `${label}: a packet to a client on ${to.node.Name} never arrived`,
          advice: "the two nodes do not mesh: give both the same mesh key and list each in the other's -mesh-with",
        }
      : { step: 'mesh', status: 'fail', ms: since(t0), detail: `${label}: ${readableError(err)}` };
  } finally {
    a?.close();
    b?.close();
  }
}

/** Moves `bytes` between two clients through the node, keeping a window in flight, and reports the rate. */
export async function checkBandwidth(addr: string | null, t: NodeTarget, bytes: number): Promise<StepResult> {
  if (!addr) return { step: 'bandwidth', status: 'skip', detail: 'no address' };
  const PACKET = 16_000;
  // 128 KB in flight: within a relay's per-receiver budget (derpdesk 256 KiB, derper 32 packets), so nothing is dropped.
  const WINDOW = 8;
  let a: DerpClient | null = null;
  let b: DerpClient | null = null;
  try {
    a = await DerpClient.connect({ ...clientOptions(t, addr), isProber: true });
    b = await DerpClient.connect({ ...clientOptions(t, addr), isProber: true });
    const tx = a;
    const dst = b.publicKey;
    const total = Math.ceil(bytes / PACKET);
    const payload = Buffer.alloc(PACKET, 0x5a);
    let sent = 0;
    let got = 0;
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      let idle = setTimeout(() => reject(new Error(`stalled after ${got} of ${total} packets`)), t.timeoutMs);
      const pump = () => {
        while (sent < total && sent - got < WINDOW) {
          tx.send(dst, payload);
          sent++;
        }
      };
      b!.onPacket = () => {
        got++;
        clearTimeout(idle);
        if (got >= total) return resolve();
        idle = setTimeout(() => reject(new Error(`stalled after ${got} of ${total} packets`)), t.timeoutMs);
        pump();
      };
      pump();
    });
    const secs = (performance.now() - t0) / 1000;
    const mbps = (total * PACKET) / secs / 1e6;
    return {
      step: 'bandwidth',
      status: 'ok',
      ms: Math.round(secs * 1000),
      detail: `${((total * PACKET) / 1e6).toFixed(1)} MB through the relay at ${mbps.toFixed(1)} MB/s`,
      data: { mbps },
    };
  } catch (err) {
    return {
      step: 'bandwidth',
      status: 'fail',
      detail: `bandwidth test: ${readableError(err)}`,
      advice: 'the relay drops or throttles bulk traffic (rate limits, a slow link, or a small send queue)',
    };
  } finally {
    a?.close();
    b?.close();
  }
}
