/**
 * STUN servers side by side: `derpdesk relay` with only its STUN socket, and coturn's turnserver in STUN-only mode,
 * each loaded in turn by the same worker processes (one socket per loopback source address, a window of Binding
 * Requests outstanding on each), round after round so both see the same machine noise. Counts answers received and
 * the server's CPU time.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { stunProbe } from '../electron/stun/client.js';
import { procStats, runWorkers, startRelayProcess, stopChild } from './process.js';
import { WARMUP_MS, type BenchResult } from './types.js';

/** A STUN server started once and loaded for several rounds. */
export interface StunUnderTest {
  port: number;
  /** How it ran (threads, limits), for the notes. */
  note: string;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** A server to measure, or why it cannot be (the row says so instead of failing the benchmark). */
export type StunContender =
  { name: string; start: (dataDir: string) => Promise<StunUnderTest> } | { name: string; absent: string };

const LOAD_PROCESSES = 2;
const SOCKETS_PER_PROCESS = 4;
const WINDOW = 96;
/**
 * Far above what the load reaches from one source, so every request still passes through the per-source limiter
 * (its cost is measured) but none is refused: at the default 20/s one source would get 20 answers a second.
 */
const BENCH_RATE_LIMIT = 1_000_000_000;

/** `derpdesk relay` with only STUN, from this build or another build's cli.mjs. */
export function derpdeskStun(name = 'derpdesk', cli?: string): StunContender {
  return {
    name,
    start: async (dataDir) => {
      const relay = await startRelayProcess(dataDir, {
        cli,
        args: [
          '-stun-listen',
          '127.0.0.1:0',
          '-stun-rate-limit',
          String(BENCH_RATE_LIMIT),
          '-stun-rate-burst',
          String(BENCH_RATE_LIMIT),
        ],
      });
      return {
        port: Number(/STUN listening on 127\.0\.0\.1:(\d+)/.exec(relay.output())![1]),
        note: `${name}: one Node process, one UDP socket; per-source limit on (${BENCH_RATE_LIMIT}/s for the benchmark).`,
        cpuSeconds: () => relay.cpuSeconds(),
        stop: () => relay.stop(),
      };
    },
  };
}

/**
 * The ceiling for a STUN server on Node's dgram: every datagram sent straight back (the load generator reads the
 * echoed request as an answer), with the same send callback and literal-address lookup derpdesk's server uses.
 */
const NODE_ECHO = `
const dgram = require('node:dgram');
const s = dgram.createSocket({ type: 'udp4', lookup: (h, f, cb) => cb(null, h, f) });
let sent = 0;
const onSent = (err) => { if (!err) sent++; };
s.on('message', (m, r) => s.send(m, r.port, r.address, onSent));
s.bind(0, '127.0.0.1', () => console.log(s.address().port));
`;

/** A bare Node UDP echo: what this machine's Node does per datagram with no STUN logic at all. */
export function nodeEchoCeiling(): StunContender {
  return {
    name: 'Node dgram echo (ceiling)',
    start: async () => {
      const child = spawn(process.execPath, ['-e', NODE_ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
        child.once('exit', (code) => reject(new Error(`the Node echo server exited with ${code}`)));
      });
      return {
        port,
        note: 'Node dgram echo: one Node process, one UDP socket, no parsing, no limit.',
        cpuSeconds: () => procStats(child.pid!).cpuSeconds,
        stop: () => stopChild(child),
      };
    },
  };
}

function onPath(bin: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, bin);
    if (dir && existsSync(p)) return p;
  }
  return null;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(r));
  return port;
}

/** coturn's turnserver answering STUN only on 127.0.0.1, with its default threads; absent when not installed. */
export function coturnStun(): StunContender {
  const bin = onPath('turnserver');
  if (!bin) return { name: 'coturn', absent: 'not installed (scripts/install-deps.sh installs Debian coturn)' };
  return { name: 'coturn', start: (dataDir) => startCoturn(bin, dataDir) };
}

async function startCoturn(bin: string, dataDir: string): Promise<StunUnderTest> {
  const port = await freeUdpPort();
  // STUN on UDP only: no TCP/TLS/DTLS listeners, no CLI, no RFC 5780 second address; its SQLite file and pid file
  // go to the benchmark's directory instead of /var.
  const args = [
    '-n',
    '--stun-only',
    '--no-tcp',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--no-rfc5780',
    '--listening-ip=127.0.0.1',
    `--listening-port=${port}`,
    '--log-file=stdout',
    `--userdb=${path.join(dataDir, 'turndb')}`,
    `--pidfile=${path.join(dataDir, 'turnserver.pid')}`,
  ];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`coturn exited with ${code}:\n${out}`))),
  );
  exited.catch(() => {});
  await Promise.race([stunProbe({ host: '127.0.0.1', port, timeoutMs: 500, retries: 20 }), exited]);
  const version = /Version (Coturn-[\d.]+)/.exec(out)?.[1] ?? 'coturn';
  const threads = /Total General servers: (\d+)/.exec(out)?.[1] ?? '?';
  return {
    port,
    note: `coturn: ${version}, ${threads} relay threads (its default, one per CPU), no per-source limit.`,
    cpuSeconds: () => procStats(child.pid!).cpuSeconds,
    stop: () => stopChild(child),
  };
}

interface Tally {
  received: number;
  loadSeconds: number;
  cpuSeconds: number;
  wallSeconds: number;
}

/** One round against one server: every load process at once for `durationMs`. */
async function loadRound(server: StunUnderTest, durationMs: number): Promise<Tally> {
  // From "go", not from the fork: the load processes' start-up is not the server's time.
  let cpu0 = 0;
  let t0 = 0;
  const results = await runWorkers(
    Array.from({ length: LOAD_PROCESSES }, (_, w) => ({
      kind: 'stun' as const,
      host: '127.0.0.1',
      port: server.port,
      sources: Array.from({ length: SOCKETS_PER_PROCESS }, (_, s) => `127.0.${w + 1}.${s + 1}`),
      window: WINDOW,
      durationMs,
    })),
    () => {
      cpu0 = server.cpuSeconds();
      t0 = performance.now();
    },
  );
  return {
    received: results.reduce((n, r) => n + r.received, 0),
    loadSeconds: Math.max(...results.map((r) => r.elapsedMs)) / 1000,
    cpuSeconds: server.cpuSeconds() - cpu0,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

/**
 * Loads each contender for `rounds` rounds of `durationMs`, interleaved (A, B, A, B ...) after a warm-up round each,
 * and reports answers/s, the ratio to the last contender, server CPU and answers per server CPU-second.
 */
export async function compareStun(
  dataDir: string,
  contenders: StunContender[],
  durationMs: number,
  rounds: number,
): Promise<BenchResult> {
  const started: Array<{ name: string; server: StunUnderTest | null; absent?: string; tally: Tally }> = [];
  try {
    for (const c of contenders) {
      const tally = { received: 0, loadSeconds: 0, cpuSeconds: 0, wallSeconds: 0 };
      if ('absent' in c) started.push({ name: c.name, server: null, absent: c.absent, tally });
      else started.push({ name: c.name, server: await c.start(dataDir), tally });
    }
    // One unmeasured round each first: a fresh Node server's first requests run before its handler is compiled.
    for (const s of started) if (s.server) await loadRound(s.server, WARMUP_MS);
    for (let round = 0; round < rounds; round++) {
      for (const s of started) {
        if (!s.server) continue;
        const t = await loadRound(s.server, durationMs);
        s.tally.received += t.received;
        s.tally.loadSeconds += t.loadSeconds;
        s.tally.cpuSeconds += t.cpuSeconds;
        s.tally.wallSeconds += t.wallSeconds;
      }
    }
    return stunTable(started, rounds, durationMs);
  } finally {
    await Promise.all(started.map((s) => s.server?.stop()));
  }
}

function stunTable(
  started: Array<{ name: string; server: StunUnderTest | null; absent?: string; tally: Tally }>,
  rounds: number,
  durationMs: number,
): BenchResult {
  const rate = (t: Tally) => t.received / t.loadSeconds;
  const reference = started[started.length - 1];
  const refRate = reference.server ? rate(reference.tally) : NaN;
  const rows = started.map(({ name, server, absent, tally }) => {
    if (!server)
      return { server: name, 'answers/s': absent!, ratio: '-', 'relay CPU': '-', 'answers per CPU-second': '-' };
    return {
      server: name,
      'answers/s': Math.round(rate(tally)),
      ratio: Number.isNaN(refRate) ? '-' : `${(rate(tally) / refRate).toFixed(2)}x`,
      'relay CPU': `${((tally.cpuSeconds / tally.wallSeconds) * 100).toFixed(0)}%`,
      'answers per CPU-second': Math.round(tally.received / Math.max(tally.cpuSeconds, 0.01)),
    };
  });
  return {
    title: `STUN Binding answers side by side (${LOAD_PROCESSES} load processes × ${SOCKETS_PER_PROCESS} sources × ${WINDOW} outstanding, ${rounds} interleaved rounds of ${durationMs / 1000} s)`,
    rows,
    notes: [
      `ratio: answers/s against ${reference.name}'s. relay CPU: the server's CPU time over the wall time of its rounds, as a share of one core (above 100% uses both).`,
      'Each source is its own loopback address (127.0.w.s), so the server sees 8 sources. The load processes share the 2 cores with the server at nice 10; answers per CPU-second divides by the CPU time the server actually used.',
      ...started.filter((s) => s.server).map((s) => s.server!.note),
    ],
  };
}

/**
 * The suite's STUN figure: this build's derpdesk, the Node dgram ceiling and coturn, `durationMs` of load each in
 * four rounds.
 */
export function benchStun(dataDir: string, durationMs: number): Promise<BenchResult> {
  return compareStun(dataDir, [derpdeskStun(), nodeEchoCeiling(), coturnStun()], durationMs / 4, 4);
}
