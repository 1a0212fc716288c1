/**
 * Relay benchmarks: the relay runs as `derpdesk relay` in its own process; load comes from separate worker
 * processes (bench/worker.ts). Throughput counts packets delivered to receivers, not packets offered.
 */
import {
  closedLoop,
  openLoop,
  pipeClosedLoop,
  startPipeServer,
  zeroLossSearch,
  ZERO_LOSS_DELIVERY,
  type LoadFigure,
  type PipeServer,
  type ZeroLoss,
} from './load.js';
import {
  DERPER_BIN,
  benchCertificate,
  runWorkers,
  startDerperProcess,
  startRelayProcess,
  startWorker,
  sum,
  type RelayProcess,
} from './process.js';
import { chartSvg } from './svg.js';
import { BENCH_TLS_NAME, type BenchCert, type BenchResult } from './types.js';
import type { WorkerTask } from './worker.js';

/**
 * Tailscale's derper v1.34 on this kind of machine as an earlier issue quoted it (zero-loss packets/s over TCP),
 * used only when the run has no derper of its own (DERPDESK_BENCH_DERPER unset).
 */
const QUOTED_DERPER_TCP_PPS: Record<number, number> = { 100: 95_000, 1200: 71_500 };
const PAIRS = 8;
/** Latency is measured idle and beside open-loop load at these shares of the zero-loss rate. */
const LOAD_SHARES = [0, 0.25, 0.5, 0.75, 0.9];

export interface RelayBenchOptions {
  durationMs: number;
  pairCounts: number[];
  sizes: number[];
  idleClients: number[];
  handshakes: number;
  log: (line: string) => void;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const round = (x: number, digits = 0) => Number(x.toFixed(digits));

/** RSS per idle client at each count (cumulative: the same relay gains clients). */
async function idleMemory(dataDir: string, o: RelayBenchOptions): Promise<Array<Record<string, string | number>>> {
  const relay = await startRelayProcess(dataDir);
  const rows: Array<Record<string, string | number>> = [];
  const holders: ReturnType<typeof startWorker>[] = [];
  try {
    const base = relay.rssKiB();
    let have = 0;
    for (const n of o.idleClients) {
      // Up to 2500 clients per load process keeps each under its file-descriptor limit. One process connects at a
      // time (50 handshakes in flight), under the relay's cap of 64 unfinished handshakes per source address.
      for (let left = n - have; left > 0; left -= 2500) {
        const h = startWorker({ kind: 'idle', url: relay.url, clients: Math.min(2500, left) });
        holders.push(h);
        await h.ready;
      }
      have = n;
      await new Promise((r) => setTimeout(r, 500));
      const perClient = (relay.rssKiB() - base) / n;
      rows.push({ figure: `relay RSS per idle client, ${n} clients`, value: `${perClient.toFixed(1)} KiB` });
      o.log(`  ${n} idle clients: ${perClient.toFixed(1)} KiB each`);
    }
    return rows;
  } finally {
    for (const h of holders) h.child.kill();
    await relay.stop();
  }
}

/**
 * A fresh relay's RSS while a receiver that never reads is sent 2 x 256 MiB: if the first round's growth is only
 * heap and buffer churn, the second adds next to nothing.
 */
async function stalledReceiver(dataDir: string, o: RelayBenchOptions): Promise<Array<Record<string, string | number>>> {
  const relay = await startRelayProcess(dataDir);
  try {
    const stallBytes = 256 << 20;
    const stall = startWorker({ kind: 'stall', url: relay.url, bytes: stallBytes, rounds: 2 });
    await stall.ready;
    const rss = [relay.rssKiB()];
    for (let round = 1; round <= 2; round++) {
      const done = new Promise((r) => stall.child.once('round', r));
      stall.child.send('go');
      await done;
      rss.push(relay.rssKiB());
    }
    stall.child.send('go');
    await stall.result;
    const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
    o.log(`  stalled receiver: RSS ${mib(rss[0])}, +${mib(rss[1] - rss[0])}, then +${mib(rss[2] - rss[1])}`);
    return [
      {
        figure: `relay RSS growth while the first ${stallBytes >> 20} MiB of 1200-byte packets go to a receiver that never reads`,
        value: mib(rss[1] - rss[0]),
      },
      { figure: `relay RSS growth during the next ${stallBytes >> 20} MiB`, value: mib(rss[2] - rss[1]) },
    ];
  } finally {
    await relay.stop();
  }
}

async function memory(dataDir: string, o: RelayBenchOptions): Promise<BenchResult> {
  return {
    title: 'Relay memory',
    rows: [...(await idleMemory(dataDir, o)), ...(await stalledReceiver(dataDir, o))],
    notes: [
      'Idle clients are connected and registered, exchanging nothing; RSS is read from /proc before and after.',
      'A stalled receiver keeps its TCP connection open but stops reading: the relay holds at most 256 KiB of writes and 32 packets for it and drops the rest, so the sender keeps going. Growth in the first round is heap and buffer churn from the dropped packets; a bounded queue adds nothing in the second.',
    ],
  };
}

/**
 * Handshakes from 2 load processes, after a warm-up of a quarter as many: a fresh relay spends ~14% of its CPU in
 * its first seconds compiling its hot paths, which a relay that has been up for a while no longer does.
 */
async function handshakes(relay: RelayProcess, count: number): Promise<Handshakes> {
  const procs = 2;
  const tasks = (n: number) =>
    Array.from({ length: procs }, () => ({
      kind: 'handshakes' as const,
      url: relay.url,
      count: Math.ceil(n / procs),
      concurrency: 32,
    }));
  await runWorkers(tasks(count / 4));
  let cpu0 = 0;
  let t0 = 0;
  const rs = await runWorkers(tasks(count), () => {
    cpu0 = relay.cpuSeconds();
    t0 = performance.now();
  });
  const cpu = relay.cpuSeconds() - cpu0;
  const wall = (performance.now() - t0) / 1000;
  const done = sum(rs, 'received');
  const secs = Math.max(...rs.map((r) => r.elapsedMs)) / 1000;
  return { rate: done / secs, relayCpuPct: (cpu / wall) * 100, cpuUsEach: (cpu / done) * 1e6 };
}

interface LatencyPoint {
  label: string;
  loadPps: number;
  p50: number;
  p99: number;
  p999: number;
  samples: number;
  loadDelivered: number;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/**
 * Round trips at 500/s beside `loadPps` packets/s of 1200-byte open-loop load from PAIRS processes; through the
 * relay, or (idle only) through the plain TCP pipe.
 */
async function latencyAt(
  via: RelayProcess | PipeServer,
  label: string,
  loadPps: number,
  durationMs: number,
): Promise<LatencyPoint> {
  const relay = 'url' in via ? via : null;
  const load: WorkerTask[] =
    relay && loadPps > 0
      ? Array.from({ length: PAIRS }, () => ({
          kind: 'paced' as const,
          url: relay.url,
          size: 1200,
          pps: loadPps / PAIRS,
          durationMs,
        }))
      : [];
  const probeTask: WorkerTask = relay
    ? { kind: 'latency', url: relay.url, rate: 500, durationMs }
    : { kind: 'latency', pipePort: (via as PipeServer).port, pipeTls: (via as PipeServer).tls, rate: 500, durationMs };
  const [probe, ...rest] = await runWorkers([probeTask, ...load]);
  const rtts = probe.rtts ?? [];
  const sent = sum(rest, 'sent');
  return {
    label,
    loadPps,
    p50: quantile(rtts, 0.5),
    p99: quantile(rtts, 0.99),
    p999: quantile(rtts, 0.999),
    samples: rtts.length,
    loadDelivered: sent ? sum(rest, 'received') / sent : 1,
  };
}

/** One zero-loss figure, beside derper's at the same transport and size (this run's, or the quoted one). */
function zeroLossRow(
  relay: string,
  transport: 'TCP' | 'TLS',
  z: ZeroLoss,
  ceiling: LoadFigure | undefined,
  derper: ZeroLoss | undefined,
): Record<string, string | number> {
  const quoted = transport === 'TCP' ? QUOTED_DERPER_TCP_PPS[z.best.size] : undefined;
  const ref = derper?.best.pps ?? quoted;
  return {
    relay,
    transport,
    'packet bytes': z.best.size,
    'zero-loss packets/s': Math.round(z.best.pps),
    'zero-loss MB/s': round(z.best.mbps, 1),
    'x derper': relay === 'derper' || !ref ? '-' : `${(z.best.pps / ref).toFixed(1)}x${derper ? '' : ' (quoted)'}`,
    'of pipe ceiling': ceiling ? pct(z.best.mbps / ceiling.mbps) : '-',
    'delivered at 1.5x': pct(z.over.delivered),
    'relay CPU': `${z.best.relayCpuPct.toFixed(0)}%`,
    'relay CPU s/GB': round(z.best.cpuSecPerGB, 2),
    trials: z.trials.length,
  };
}

async function zeroLossAll(
  relay: RelayProcess,
  transport: string,
  sizes: number[],
  guesses: Map<number, number>,
  o: RelayBenchOptions,
): Promise<Map<number, ZeroLoss>> {
  const out = new Map<number, ZeroLoss>();
  for (const size of sizes) {
    o.log(`  zero-loss search, ${transport}, ${size} bytes…`);
    const z = await zeroLossSearch(
      async (pps) => {
        const f = await openLoop(relay, PAIRS, size, pps, o.durationMs);
        o.log(
          `    offered ${Math.round(f.offeredPps)}/s: delivered ${pct(f.delivered)}, relay CPU ${f.relayCpuPct.toFixed(0)}%`,
        );
        return f;
      },
      guesses.get(size) ?? 100_000,
    );
    out.set(size, z);
  }
  return out;
}

/** Rate, the relay's CPU while it ran, and the relay's CPU time per handshake (all threads, kernel included). */
type Handshakes = { rate: number; relayCpuPct: number; cpuUsEach: number };
type Case = { pairs: number; size: number };

interface Ceiling {
  figures: LoadFigure[];
  idle: LatencyPoint;
  at(pairs: number, size: number): LoadFigure | undefined;
}

interface PlainRelayFigures {
  hs: Handshakes;
  closed: LoadFigure[];
  zero: Map<number, ZeroLoss>;
  latency: LatencyPoint[];
}

/** What is measured of every relay and transport beyond derpdesk over TCP: handshakes, zero loss, idle latency. */
interface CoreFigures {
  relay: string;
  transport: 'TCP' | 'TLS';
  hs: Handshakes;
  zero: Map<number, ZeroLoss>;
  /** Closed loop at PAIRS pairs, by packet size: capacity, comparable with the closed-loop pipe ceilings. */
  closed: LoadFigure[];
  idle: LatencyPoint;
}

export async function benchRelay(dataDir: string, o: RelayBenchOptions): Promise<BenchResult[]> {
  const cert = await benchCertificate(dataDir);
  o.log('memory…');
  const mem = await memory(dataDir, o);
  const cases = o.sizes.flatMap((size) => o.pairCounts.map((pairs) => ({ pairs, size })));
  const tlsSizes = o.sizes.filter((s) => s <= 1200);
  const ceiling = await measureCeiling('plain TCP pipe', cases, o);
  const tlsCeiling = await measureCeiling(
    'TLS pipe',
    tlsSizes.map((size) => ({ pairs: PAIRS, size })),
    o,
    cert,
  );
  const plain = await measurePlainRelay(dataDir, cases, ceiling, o);
  const guess = (share: number) => new Map(tlsSizes.map((s) => [s, plain.zero.get(s)!.best.pps * share]));
  const core: CoreFigures[] = [];
  core.push(await measureCore(() => startRelayProcess(dataDir, { tls: cert }), 'TLS', tlsSizes, guess(0.6), o));
  if (DERPER_BIN) {
    const derperTcp = await measureCore(() => startDerperProcess(dataDir), 'TCP', tlsSizes, guess(0.25), o);
    const derperGuess = new Map(tlsSizes.map((s) => [s, derperTcp.zero.get(s)!.best.pps * 0.9]));
    core.push(derperTcp);
    core.push(await measureCore(() => startDerperProcess(dataDir, { tls: cert }), 'TLS', tlsSizes, derperGuess, o));
  }
  return [
    zeroLossTable(o.sizes, plain, core, ceiling, tlsCeiling),
    closedLoopTable(o.sizes, plain.closed, ceiling),
    closedLoopByRelayTable(plain.closed, core, ceiling, tlsCeiling),
    latencyTable(plain.latency, core, [ceiling.idle, tlsCeiling.idle]),
    mem,
    handshakeTable(plain.hs, core),
  ];
}

/**
 * The same framed bytes, closed loop, through a pipe in one Node process: over plain TCP what this machine's
 * loopback allows; with a certificate, what terminating TLS on both legs allows without any DERP work.
 */
async function measureCeiling(label: string, cases: Case[], o: RelayBenchOptions, cert?: BenchCert): Promise<Ceiling> {
  o.log(`loopback ceiling (${label} through one Node process)…`);
  const pipe = await startPipeServer(cert);
  const figures: LoadFigure[] = [];
  let idle: LatencyPoint;
  try {
    for (const c of cases) {
      const f = await pipeClosedLoop(pipe, c.pairs, c.size, o.durationMs);
      figures.push(f);
      o.log(`  ${c.size} B × ${c.pairs}: ${f.mbps.toFixed(1)} MB/s`);
    }
    idle = await latencyAt(pipe, `idle, ${label} (ceiling)`, 0, o.durationMs);
  } finally {
    pipe.stop();
  }
  return { figures, idle, at: (pairs, size) => figures.find((c) => c.pairs === pairs && c.size === size) };
}

/** Over plain TCP: handshakes, closed-loop throughput, the zero-loss search, then latency beside load. */
async function measurePlainRelay(
  dataDir: string,
  cases: Case[],
  ceiling: Ceiling,
  o: RelayBenchOptions,
): Promise<PlainRelayFigures> {
  const relay = await startRelayProcess(dataDir);
  try {
    o.log('handshakes…');
    const hs = await handshakes(relay, o.handshakes);
    o.log(`  ${Math.round(hs.rate)}/s, relay CPU ${hs.relayCpuPct.toFixed(0)}%, ${hs.cpuUsEach.toFixed(0)} us each`);
    const closed = await measureClosedLoop(relay, cases, ceiling, o);
    const guesses = new Map(
      o.sizes.map((s) => [s, closed.find((f) => f.size === s && f.pairs === PAIRS)?.pps ?? 100_000]),
    );
    const zero = await zeroLossAll(relay, 'TCP', o.sizes, guesses, o);
    const latency = await measureLatencyVsLoad(relay, zero.get(1200)?.best.offeredPps ?? 0, o);
    return { hs, closed, zero, latency };
  } finally {
    await relay.stop();
  }
}

async function measureClosedLoop(
  relay: RelayProcess,
  cases: Case[],
  ceiling: Ceiling,
  o: RelayBenchOptions,
): Promise<LoadFigure[]> {
  o.log('closed-loop throughput vs pairs…');
  const closed: LoadFigure[] = [];
  for (const c of cases) {
    const f = await closedLoop(relay, c.pairs, c.size, o.durationMs);
    closed.push(f);
    o.log(
      `  ${c.size} B × ${c.pairs}: ${Math.round(f.pps)} packets/s, ${f.mbps.toFixed(1)} MB/s (pipe ${ceiling.at(c.pairs, c.size)!.mbps.toFixed(1)} MB/s)`,
    );
  }
  return closed;
}

/** Round trips at each share of the 1200-byte zero-loss rate `ref`. */
async function measureLatencyVsLoad(relay: RelayProcess, ref: number, o: RelayBenchOptions): Promise<LatencyPoint[]> {
  o.log('latency vs load…');
  const latency: LatencyPoint[] = [];
  for (const share of LOAD_SHARES) {
    const p = await latencyAt(relay, share ? `${share * 100}% of zero-loss` : 'idle', ref * share, o.durationMs);
    latency.push(p);
    o.log(`  ${p.label}: p50 ${p.p50.toFixed(3)} p99 ${p.p99.toFixed(3)} p99.9 ${p.p999.toFixed(3)} ms`);
  }
  return latency;
}

/** Handshakes, zero loss at `sizes` and idle latency of one relay process, started for this and stopped after. */
async function measureCore(
  start: () => Promise<RelayProcess>,
  transport: 'TCP' | 'TLS',
  sizes: number[],
  guesses: Map<number, number>,
  o: RelayBenchOptions,
): Promise<CoreFigures> {
  const relay = await start();
  const label = `${relay.name} ${transport}`;
  o.log(`${label}…`);
  try {
    const hs = await handshakes(relay, o.handshakes);
    o.log(
      `  handshakes ${Math.round(hs.rate)}/s, relay CPU ${hs.relayCpuPct.toFixed(0)}%, ${hs.cpuUsEach.toFixed(0)} us each`,
    );
    const zero = await zeroLossAll(relay, label, sizes, guesses, o);
    const closed: LoadFigure[] = [];
    for (const size of sizes) {
      const f = await closedLoop(relay, PAIRS, size, o.durationMs);
      closed.push(f);
      o.log(`  closed loop ${size} B × ${PAIRS}: ${f.mbps.toFixed(1)} MB/s, relay CPU ${f.relayCpuPct.toFixed(0)}%`);
    }
    const idle = await latencyAt(relay, `idle, ${label}`, 0, o.durationMs);
    return { relay: relay.name, transport, hs, zero, closed, idle };
  } finally {
    await relay.stop();
  }
}

function zeroLossTable(
  sizes: number[],
  plain: PlainRelayFigures,
  core: CoreFigures[],
  ceiling: Ceiling,
  tlsCeiling: Ceiling,
): BenchResult {
  const derper = (transport: 'TCP' | 'TLS', size: number) =>
    core.find((c) => c.relay === 'derper' && c.transport === transport)?.zero.get(size);
  const ceilingFor = (transport: 'TCP' | 'TLS', size: number) =>
    (transport === 'TCP' ? ceiling : tlsCeiling).at(PAIRS, size);
  const pipeRow = (name: string, f: LoadFigure) => ({
    relay: name,
    transport: name.startsWith('TLS') ? 'TLS' : 'TCP',
    'packet bytes': f.size,
    'zero-loss packets/s': '-',
    'zero-loss MB/s': round(f.mbps, 1),
    'x derper': '-',
    'of pipe ceiling': '100%',
    'delivered at 1.5x': '-',
    'relay CPU': `${f.relayCpuPct.toFixed(0)}%`,
    'relay CPU s/GB': '-',
    trials: '-',
  });
  return {
    title: `Zero-loss throughput (RFC 2544 search, ${PAIRS} pairs, one process each, open loop)`,
    rows: [
      ...sizes.map((s) => zeroLossRow('derpdesk', 'TCP', plain.zero.get(s)!, ceiling.at(PAIRS, s), derper('TCP', s))),
      ...core.flatMap((c) =>
        [...c.zero.values()].map((z) =>
          zeroLossRow(c.relay, c.transport, z, ceilingFor(c.transport, z.best.size), derper(c.transport, z.best.size)),
        ),
      ),
      ...sizes.flatMap((s) =>
        ceiling.at(PAIRS, s) ? [pipeRow('plain TCP pipe (closed-loop ceiling)', ceiling.at(PAIRS, s)!)] : [],
      ),
      ...tlsCeiling.figures.map((f) => pipeRow('TLS pipe (closed-loop ceiling)', f)),
    ],
    notes: [
      `Zero loss: the highest offered rate of which at least ${ZERO_LOSS_DELIVERY * 100}% arrived. Each trial offers packets on a 1 ms tick, 500 ms of warm-up and then the measured run; a packet offered while 1 MiB already waits in the sender's socket is refused and counts as lost, so an overload cannot hide in buffers. Packets arriving up to 250 ms after the last offer count; the relay's own queues are bounded (256 KiB of writes and 32 packets per receiver).`,
      DERPER_BIN
        ? `"x derper": Tailscale's derper (${DERPER_BIN}) measured in this run under the same load, same transport and packet size; for TLS both relays serve the same self-signed certificate for ${BENCH_TLS_NAME} (derper with -certmode manual).`
        : '"x derper (quoted)": derper v1.34 as an earlier issue measured it on the same kind of machine (95k packets/s at 100 bytes, 71.5k at 1200, TCP); set DERPDESK_BENCH_DERPER to measure it in the same run.',
      `Pipe ceilings: the same framed bytes, closed loop, through a pipe in one Node process (socket.pipe), ${PAIRS} pairs; the TLS pipe terminates TLS on both legs with the same certificate. "of pipe ceiling" compares a relay's zero-loss MB/s with the pipe of its transport.`,
      'Relay CPU s/GB: relay CPU seconds per GB of payload delivered at the zero-loss rate (user + kernel time, from /proc): a machine-independent efficiency figure.',
      'All processes share the same 2 cores. The load processes run at nice 10, so that when the cores are busy the load, not the relay, waits, as it would on separate machines; at equal priority the scheduler gives the relay 1/9 of the CPU and the search measures the generator.',
    ],
  };
}

function closedLoopTable(sizes: number[], closed: LoadFigure[], ceiling: Ceiling): BenchResult {
  const ceilingAt = ceiling.at;
  const throughputPanels = sizes.map((size) => ({
    title: `${size}-byte packets, closed loop`,
    xLabel: 'sender/receiver pairs (one process each)',
    yLabel: 'MB/s delivered',
    series: [
      {
        name: 'derpdesk relay',
        points: closed.filter((f) => f.size === size).map((f): [number, number] => [f.pairs, f.mbps]),
      },
      {
        name: 'plain TCP pipe (ceiling)',
        dashed: true,
        points: ceiling.figures.filter((f) => f.size === size).map((f): [number, number] => [f.pairs, f.mbps]),
      },
    ],
  }));
  return {
    title: 'Closed-loop throughput vs pairs (each sender keeps 512 KiB in flight)',
    rows: closed.map((f) => ({
      'packet bytes': f.size,
      pairs: f.pairs,
      'delivered packets/s': Math.round(f.pps),
      'delivered MB/s': round(f.mbps, 1),
      'pipe ceiling MB/s': round(ceilingAt(f.pairs, f.size)!.mbps, 1),
      'of ceiling': pct(f.mbps / ceilingAt(f.pairs, f.size)!.mbps),
      'relay CPU': `${f.relayCpuPct.toFixed(0)}%`,
    })),
    chart: {
      file: 'benchmarks-throughput.svg',
      alt: 'Throughput vs pairs, relay and plain TCP pipe',
      svg: chartSvg(throughputPanels),
    },
    notes: [
      'Closed loop: the offered load follows what the relay delivers, so it shows capacity, not loss; the window, not the relay, limits it where the open-loop zero-loss rate is higher.',
    ],
  };
}

/** Capacity of every relay and transport at PAIRS pairs, beside the pipe ceiling of the same transport. */
function closedLoopByRelayTable(
  plainClosed: LoadFigure[],
  core: CoreFigures[],
  ceiling: Ceiling,
  tlsCeiling: Ceiling,
): BenchResult {
  const row = (relay: string, transport: 'TCP' | 'TLS', f: LoadFigure) => {
    const pipe = (transport === 'TCP' ? ceiling : tlsCeiling).at(PAIRS, f.size);
    return {
      relay,
      transport,
      'packet bytes': f.size,
      'delivered MB/s': round(f.mbps, 1),
      'pipe ceiling MB/s': pipe ? round(pipe.mbps, 1) : '-',
      'of ceiling': pipe ? pct(f.mbps / pipe.mbps) : '-',
      'relay CPU': `${f.relayCpuPct.toFixed(0)}%`,
      'relay CPU s/GB': round(f.cpuSecPerGB, 2),
    };
  };
  const tlsSizes = new Set(core.flatMap((c) => c.closed.map((f) => f.size)));
  return {
    title: `Closed-loop capacity by relay and transport (${PAIRS} pairs, each sender keeps 512 KiB in flight)`,
    rows: [
      ...plainClosed.filter((f) => f.pairs === PAIRS && tlsSizes.has(f.size)).map((f) => row('derpdesk', 'TCP', f)),
      ...core.flatMap((c) => c.closed.map((f) => row(c.relay, c.transport, f))),
    ],
    notes: [
      "The like-for-like comparison with the pipe ceilings, which are closed loop too: how much each relay carries when the senders follow what it delivers. Open loop (the zero-loss table) also measures how the relay and the load generator ride out each other's stalls on the shared cores.",
    ],
  };
}

function latencyTable(latency: LatencyPoint[], core: CoreFigures[], pipes: LatencyPoint[]): BenchResult {
  const latencyPanel = {
    title: 'Round trip beside 1200-byte load (8 pairs)',
    xLabel: 'offered load, % of the zero-loss rate',
    yLabel: 'round trip, ms',
    series: (['p50', 'p99', 'p999'] as const).map((q) => ({
      name: q === 'p999' ? 'p99.9' : q,
      points: latency.map((p, i): [number, number] => [LOAD_SHARES[i] * 100, p[q]]),
    })),
  };
  return {
    title: 'Round-trip latency (64-byte echo at 500/s beside 1200-byte open-loop load from 8 processes)',
    rows: [...latency, ...core.map((c) => c.idle), ...pipes].map((p) => ({
      load: p.label,
      'offered packets/s': Math.round(p.loadPps),
      'p50 ms': p.p50.toFixed(3),
      'p99 ms': p.p99.toFixed(3),
      'p99.9 ms': p.p999.toFixed(3),
      'load delivered': pct(p.loadDelivered),
      samples: p.samples,
    })),
    chart: {
      file: 'benchmarks-latency.svg',
      alt: 'Round-trip latency vs offered load',
      svg: chartSvg([latencyPanel]),
    },
    notes: [
      'Round trip = client A -> relay -> client B -> relay -> client A, all on loopback; the pipe rows send the same frames A -> pipe -> B -> pipe -> A through the plain TCP or TLS pipe, the floor for this machine.',
      'The probe runs at normal priority, the load at nice 10; the first 500 ms are not recorded.',
    ],
  };
}

function handshakeTable(hs: Handshakes, core: CoreFigures[]): BenchResult {
  const row = (relay: string, transport: string, h: Handshakes) => ({
    relay,
    transport,
    'handshakes/s': Math.round(h.rate),
    'relay CPU': `${h.relayCpuPct.toFixed(0)}%`,
    'relay CPU per handshake': `${h.cpuUsEach.toFixed(0)} us`,
    'handshakes/s per relay core': Math.round(1e6 / h.cpuUsEach),
  });
  return {
    title: 'Handshakes (distinct keys, fast start, 2 load processes × 32 concurrent)',
    rows: [row('derpdesk', 'TCP', hs), ...core.map((c) => row(c.relay, c.transport, c.hs))],
    notes: [
      "The load side prepares every client key and sealed ClientInfo before the clock starts, so the figure is the relay's: HTTP upgrade (TLS handshake first over TLS), X25519, ServerInfo, registration, close.",
      "Every TLS handshake is a full one (ECDHE X25519, ECDSA P-256 certificate): the load keeps no session, as Tailscale's Go client keeps none (derphttp sets no ClientSessionCache).",
      "The load runs on the relay's 2 cores at nice 10, so handshakes/s is bounded by whichever side runs out first; relay CPU per handshake is the relay's own cost, and per relay core is the rate one core spent on the relay alone would give. Both are measured after a warm-up of a quarter as many handshakes.",
    ],
  };
}
