/**
 * Load generator process for the relay benchmarks. The parent (bench/process.ts) forks it and talks over IPC:
 * it connects its clients, reports ready, runs its task on "go", and reports what it sent and received.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { DerpClient } from '../electron/derp/client.js';
import { FRAME_HEADER_LEN, KEY_LEN } from '../electron/derp/frames.js';
import { generateKeyPair } from '../electron/derp/keys.js';
import { encodeBindingRequest } from '../electron/stun/message.js';
import { handshakeBytes, rawHandshake } from './raw-handshake.js';
import { BENCH_TLS_NAME, WARMUP_MS, type BenchCert } from './types.js';

export type WorkerTask =
  | { kind: 'flood'; url: string; size: number; durationMs: number }
  | { kind: 'paced'; url: string; size: number; pps: number; durationMs: number }
  | { kind: 'pipe-server'; tls?: BenchCert }
  | { kind: 'pipe-flood'; port: number; tls: boolean; size: number; durationMs: number }
  | { kind: 'idle'; url: string; clients: number }
  | { kind: 'handshakes'; url: string; count: number; concurrency: number }
  | { kind: 'stall'; url: string; bytes: number; rounds: number }
  | {
      kind: 'stun';
      host: string;
      port: number;
      /** One socket per local address (127.0.0.0/8 is all loopback), so the server sees that many sources. */
      sources: string[];
      window: number;
      durationMs: number;
    }
  | { kind: 'latency'; url?: string; pipePort?: number; pipeTls?: boolean; rate: number; durationMs: number };

export interface WorkerResult {
  sent: number;
  received: number;
  bytesReceived: number;
  elapsedMs: number;
  /** Round-trip times in ms (latency task), sorted. */
  rtts?: number[];
}

/**
 * Closed loop: each sender keeps at most this many bytes in flight (sent, not yet received by its receiver), so
 * the offered load follows what the relay delivers instead of flooding it with packets it must drop.
 */
const IN_FLIGHT_BYTES = 512 << 10;
/**
 * Open loop: a packet offered while this much is already waiting in the sender's socket is refused, as a full NIC
 * queue would refuse it. Without this the load generator, not the relay, would buffer an overload without bound.
 */
const SENDER_BACKLOG = 1 << 20;
/**
 * Closed loop: packets in flight with no arrival for this long count as lost (see closedLoop). Well above the stalls
 * of a load process on shared cores (tens of ms), as TCP's minimum retransmission timeout (200 ms) is above a LAN's
 * round trip.
 */
const LOSS_TIMEOUT_MS = 300;
/** Open loop: packets still arriving this long after the last one was offered count as delivered (RFC 2544 waits too). */
const DRAIN_MS = 250;
/** DERP framing around a packet on the wire: header and the 32-byte key, both ways. */
const FRAMING = FRAME_HEADER_LEN + KEY_LEN;

const send = (msg: unknown): void => void process.send!(msg);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const go = () => new Promise<void>((resolve) => process.once('message', () => resolve()));
const emptyResult = (): WorkerResult => ({ sent: 0, received: 0, bytesReceived: 0, elapsedMs: 0 });
/** Every benchmark server is on 127.0.0.1; a TLS URL names the certificate's host name, sent as SNI. */
const connect = (url: string) =>
  DerpClient.connect({ url, insecureSkipVerify: url.startsWith('https:'), connectAddress: '127.0.0.1' });

interface Link {
  /** A relay may drop packets; a pipe delivers every one, in order, and needs no loss detection. */
  readonly lossy: boolean;
  cork(): void;
  uncork(): void;
  /** Sends the packet numbered `seq` (numbers start at 0 and go up by one). */
  sendOne(seq: number): void;
  /**
   * Called with packets and payload bytes as they arrive, and with the number of the last one where the link carries
   * numbers (a relay may drop packets; a pipe delivers every one, in order).
   */
  onArrive: (packets: number, bytes: number, lastSeq?: number) => void;
  close(): void;
}

async function derpLink(url: string, size: number): Promise<Link> {
  const tx = await connect(url);
  const rx = await connect(url);
  const payload = Buffer.alloc(Math.max(4, size), 0x42);
  const link: Link = {
    lossy: true,
    cork: () => tx.cork(),
    uncork: () => tx.uncork(),
    sendOne: (seq) => {
      payload.writeUInt32BE(seq, 0);
      tx.send(rx.publicKey, payload);
    },
    onArrive: () => {},
    close: () => {
      tx.close();
      rx.close();
    },
  };
  rx.onPacket = (_src, p) => link.onArrive(1, p.length, p.readUInt32BE(0));
  return link;
}

/** A one-way byte stream through the pipe server, cut into `frameLen`-byte frames: `onFrames` gets every whole one. */
async function pipeOneWay(
  port: number,
  secure: boolean,
  frameLen: number,
  onFrames: (count: number, frames: Buffer) => void,
): Promise<{ tx: net.Socket; rx: net.Socket }> {
  const id = randomBytes(8);
  const open = (role: number) =>
    new Promise<net.Socket>((resolve, reject) => {
      const ready = () => {
        s.setNoDelay(true);
        s.write(Buffer.concat([Buffer.from([role]), id]));
        resolve(s);
      };
      const s: net.Socket = secure
        ? tls.connect({ host: '127.0.0.1', port, servername: BENCH_TLS_NAME, rejectUnauthorized: false }, ready)
        : net.connect({ host: '127.0.0.1', port }, ready);
      s.once('error', reject);
    });
  const rx = await open(1);
  const tx = await open(0);
  let pending: Buffer = Buffer.alloc(0);
  rx.on('data', (d: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    const n = Math.floor(pending.length / frameLen);
    if (n === 0) return;
    onFrames(n, pending.subarray(0, n * frameLen));
    pending = pending.subarray(n * frameLen);
  });
  return { tx, rx };
}

/** The loopback ceiling: the same framed bytes through a plain TCP pipe (bench `pipe-server`), counted by bytes. */
async function pipeLink(port: number, secure: boolean, size: number): Promise<Link> {
  const frame = Buffer.alloc(size + FRAMING, 0x42);
  const { tx, rx } = await pipeOneWay(port, secure, frame.length, (n) => link.onArrive(n, n * size));
  const link: Link = {
    lossy: false,
    cork: () => tx.cork(),
    uncork: () => tx.uncork(),
    sendOne: () => void tx.write(frame),
    onArrive: () => {},
    close: () => {
      tx.destroy();
      rx.destroy();
    },
  };
  return link;
}

/**
 * Closed loop over one link: keep a window of packets in flight, refill when half of it has arrived. A relay may drop
 * packets (derper's per-client queue holds 32), so the sender behaves as TCP's congestion control would: a gap in the
 * numbers that arrive halves the window (once per window), a window delivered without loss grows it by an eighth of
 * the maximum, and a window with no arrival for LOSS_TIMEOUT_MS is written off as lost. A fixed window would either
 * stop for good after enough drops or keep flooding a relay with a short queue.
 */
async function closedLoop(link: Link, size: number, durationMs: number): Promise<void> {
  const result = emptyResult();
  const maxWindow = Math.max(8, Math.floor(IN_FLIGHT_BYTES / (size + FRAMING)));
  let window = maxWindow;
  /** Everything numbered below this has arrived or is lost. */
  let acked = 0;
  let cleanRun = 0;
  let recoverUntil = 0;
  const inFlight = () => result.sent - acked;
  const onLoss = () => {
    cleanRun = 0;
    if (acked < recoverUntil) return;
    window = Math.max(8, window >> 1);
    recoverUntil = result.sent;
  };
  let running = false;
  let scheduled = false;
  const pump = () => {
    scheduled = false;
    if (!running) return;
    link.cork();
    while (inFlight() < window) link.sendOne(result.sent++);
    link.uncork();
  };
  link.onArrive = (n, bytes, lastSeq) => {
    result.received += n;
    result.bytesReceived += bytes;
    const upTo = lastSeq === undefined ? result.received : lastSeq + 1;
    if (upTo - acked > n) onLoss();
    else if ((cleanRun += n) >= window) {
      cleanRun = 0;
      window = Math.min(maxWindow, window + (maxWindow >> 3));
    }
    acked = Math.max(acked, upTo);
    if (!scheduled && inFlight() <= window / 2) {
      scheduled = true;
      setImmediate(pump);
    }
  };
  let seen = 0;
  const lossTimer = setInterval(() => {
    if (link.lossy && result.received === seen && inFlight() > 0) {
      acked = result.sent;
      onLoss();
      pump();
    }
    seen = result.received;
  }, LOSS_TIMEOUT_MS);
  send({ ready: {} });
  await go();
  running = true;
  const t0 = performance.now();
  pump();
  await sleep(durationMs);
  clearInterval(lossTimer);
  running = false;
  result.elapsedMs = performance.now() - t0;
  // Only what arrived within the window counts: the parent divides by elapsedMs.
  send({ result: { ...result } });
  link.close();
}

/**
 * Open loop: offer `pps` packets/s on a 1 ms tick whatever happens to them, WARMUP_MS unmeasured and then
 * `durationMs` measured; then wait DRAIN_MS for stragglers. Sequence numbers in the payload tell measured
 * packets from warm-up ones.
 */
async function paced(task: Extract<WorkerTask, { kind: 'paced' }>): Promise<void> {
  const tx = await connect(task.url);
  const rx = await connect(task.url);
  const result = emptyResult();
  const first = Math.floor((WARMUP_MS / 1000) * task.pps);
  const last = first + Math.floor((task.durationMs / 1000) * task.pps);
  rx.onPacket = (_s, p) => {
    if (p.readUInt32BE(0) < first) return;
    result.received++;
    result.bytesReceived += p.length;
  };
  send({ ready: {} });
  await go();
  const payload = Buffer.alloc(Math.max(4, task.size), 1);
  const t0 = performance.now();
  let seq = 0;
  const offer = () => {
    const due = Math.min(Math.floor(((performance.now() - t0) / 1000) * task.pps), last);
    tx.cork();
    for (; seq < due; seq++) {
      // Refused: never sent, so never received, and counted as lost.
      if (tx.bufferedBytes > SENDER_BACKLOG) continue;
      payload.writeUInt32BE(seq, 0);
      tx.send(rx.publicKey, payload);
    }
    tx.uncork();
  };
  const timer = setInterval(offer, 1);
  await sleep(WARMUP_MS + task.durationMs);
  clearInterval(timer);
  offer();
  result.sent = last - first;
  result.elapsedMs = performance.now() - t0 - WARMUP_MS;
  await sleep(DRAIN_MS);
  send({ result: { ...result } });
  tx.close();
  rx.close();
}

/** Pairs connections by id and pipes sender to receiver; with a certificate, both legs are TLS (the TLS ceiling). */
function pipeServer(task: Extract<WorkerTask, { kind: 'pipe-server' }>): void {
  const waiting = new Map<string, net.Socket>();
  const onSocket = (s: net.Socket) => {
    s.setNoDelay(true);
    s.once('readable', function first() {
      const hello: Buffer | null = s.read(9);
      if (!hello) return void s.once('readable', first);
      const id = hello.subarray(1).toString('hex');
      const other = waiting.get(id);
      if (!other) return void waiting.set(id, s);
      waiting.delete(id);
      const [tx, rx] = hello[0] === 0 ? [s, other] : [other, s];
      tx.pipe(rx);
      tx.on('error', () => rx.destroy());
      rx.on('error', () => tx.destroy());
    });
  };
  const server = task.tls
    ? tls.createServer(
        { cert: readFileSync(task.tls.certFile), key: readFileSync(task.tls.keyFile), minVersion: 'TLSv1.2' },
        onSocket,
      )
    : net.createServer(onSocket);
  server.listen(0, '127.0.0.1', () => send({ ready: { port: (server.address() as net.AddressInfo).port } }));
}

async function idle(task: Extract<WorkerTask, { kind: 'idle' }>): Promise<void> {
  const clients: DerpClient[] = [];
  for (let i = 0; i < task.clients; i += 50) {
    clients.push(
      ...(await Promise.all(Array.from({ length: Math.min(50, task.clients - i) }, () => connect(task.url)))),
    );
  }
  send({ ready: {} });
  await go();
  for (const c of clients) c.close();
  send({ result: emptyResult() });
}

/** Handshakes with distinct keys, prepared before "go" so the clock measures the relay. */
async function handshakes(task: Extract<WorkerTask, { kind: 'handshakes' }>): Promise<void> {
  const url = new URL(task.url);
  const probe = await connect(task.url);
  const serverKey = probe.serverPublicKey;
  probe.close();
  const prepared = Array.from({ length: task.count }, () => handshakeBytes(url, generateKeyPair(), serverKey));
  send({ ready: {} });
  await go();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: task.concurrency }, async () => {
      while (next < prepared.length) (await rawHandshake(url, prepared[next++])).destroy();
    }),
  );
  send({ result: { ...emptyResult(), sent: next, received: next, elapsedMs: performance.now() - t0 } });
}

/**
 * A receiver that completes its handshake and then never reads, and a sender pushing 1200-byte packets at it:
 * `bytes` per round, reporting `{ round }` after each and waiting for the next message before going on.
 */
async function stall(task: Extract<WorkerTask, { kind: 'stall' }>): Promise<void> {
  const url = new URL(task.url);
  const tx = await connect(task.url);
  const kp = generateKeyPair();
  const rx = await rawHandshake(url, handshakeBytes(url, kp, tx.serverPublicKey));
  rx.pause();
  send({ ready: {} });
  const payload = Buffer.alloc(1200, 7);
  for (let round = 1; round <= task.rounds; round++) {
    await go();
    for (let sent = 0; sent < task.bytes;) {
      tx.cork();
      for (let i = 0; i < 64; i++, sent += payload.length) tx.send(kp.publicKey, payload);
      tx.uncork();
      if (tx.bufferedBytes > SENDER_BACKLOG) await new Promise<void>((r) => tx.once('drain', () => r()));
    }
    await sleep(200);
    send({ round });
  }
  await go();
  tx.close();
  rx.destroy();
  send({ result: emptyResult() });
}

/** Request ids cycle through this many pre-encoded requests; a window must stay below it. */
const STUN_IDS = 256;
/** A STUN load socket that hears nothing for this long assumes its whole window was lost. */
const STALL_MS = 50;

/**
 * Each socket (one per source address, connected to the server) keeps `window` Binding Requests outstanding. The
 * last byte of a request's transaction id is its sequence number modulo STUN_IDS; an answer echoes it, so the
 * socket knows exactly how many are still outstanding (any sent before it and unanswered were lost: one server
 * socket per source answers in order). A socket that hears nothing for STALL_MS sends a fresh window.
 */
async function stun(task: Extract<WorkerTask, { kind: 'stun' }>): Promise<void> {
  const base = randomBytes(12);
  const requests = Array.from({ length: STUN_IDS }, (_, i) => {
    base[11] = i;
    return encodeBindingRequest(base);
  });
  const result = emptyResult();
  let running = false;
  const flows = await Promise.all(
    task.sources.map(async (source) => {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((r) => s.bind(0, source, r));
      await new Promise<void>((r) => s.connect(task.port, task.host, r));
      const flow = { s, sent: 0, outstanding: 0, lastArrival: 0 };
      s.on('message', (msg) => {
        result.received++;
        flow.lastArrival = performance.now();
        flow.outstanding = (flow.sent - 1 - msg[19]) & (STUN_IDS - 1);
        if (running) fill(flow);
      });
      return flow;
    }),
  );
  type Flow = (typeof flows)[number];
  const fill = (f: Flow) => {
    for (; f.outstanding < task.window; f.outstanding++, f.sent++) f.s.send(requests[f.sent & (STUN_IDS - 1)]);
  };
  send({ ready: {} });
  await go();
  running = true;
  const t0 = performance.now();
  for (const f of flows) fill(f);
  const timer = setInterval(() => {
    const now = performance.now();
    for (const f of flows) {
      if (now - Math.max(f.lastArrival, t0) < STALL_MS) continue;
      f.outstanding = 0;
      fill(f);
    }
  }, STALL_MS / 2);
  await sleep(task.durationMs);
  running = false;
  clearInterval(timer);
  result.elapsedMs = performance.now() - t0;
  result.sent = flows.reduce((n, f) => n + f.sent, 0);
  send({ result: { ...result } });
  for (const f of flows) f.s.close();
}

/** A sends to B, B echoes every packet back: through the relay, or through two pipes for the ceiling. */
interface Echo {
  send(pkt: Buffer): void;
  onReturn: (pkt: Buffer) => void;
  close(): void;
}

async function derpEcho(url: string): Promise<Echo> {
  const a = await connect(url);
  const b = await connect(url);
  b.onPacket = (src, p) => void b.send(src, Buffer.from(p));
  const echo: Echo = {
    send: (pkt) => void a.send(b.publicKey, pkt),
    onReturn: () => {},
    close: () => {
      a.close();
      b.close();
    },
  };
  a.onPacket = (_src, p) => echo.onReturn(p);
  return echo;
}

async function pipeEcho(port: number, secure: boolean, size: number): Promise<Echo> {
  const frameLen = size + FRAMING;
  // Echo every frame: two probes that arrive in one read must both come back.
  const back = await pipeOneWay(port, secure, frameLen, (n, frames) => {
    for (let i = 0; i < n; i++) echo.onReturn(frames.subarray(i * frameLen + FRAMING, (i + 1) * frameLen));
  });
  const there = await pipeOneWay(port, secure, frameLen, (_n, frames) => back.tx.write(Buffer.from(frames)));
  const frame = Buffer.alloc(frameLen);
  const echo: Echo = {
    send: (pkt) => {
      pkt.copy(frame, FRAMING);
      there.tx.write(Buffer.from(frame));
    },
    onReturn: () => {},
    close: () => {
      for (const s of [back.tx, back.rx, there.tx, there.rx]) s.destroy();
    },
  };
  return echo;
}

/**
 * One timestamped 64-byte packet every 1/rate s, echoed back: round trips. Like the open-loop load beside it,
 * the first WARMUP_MS are not recorded.
 */
async function latency(task: Extract<WorkerTask, { kind: 'latency' }>): Promise<void> {
  const echo = task.pipePort ? await pipeEcho(task.pipePort, task.pipeTls ?? false, 64) : await derpEcho(task.url!);
  const rtts: number[] = [];
  send({ ready: {} });
  await go();
  const t0 = performance.now();
  echo.onReturn = (p) => {
    const sentAt = p.readDoubleBE(0);
    if (sentAt - t0 >= WARMUP_MS) rtts.push(performance.now() - sentAt);
  };
  const pkt = Buffer.alloc(64);
  let sent = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    pkt.writeDoubleBE(now, 0);
    echo.send(pkt);
    if (now - t0 >= WARMUP_MS) sent++;
  }, 1000 / task.rate);
  await sleep(WARMUP_MS + task.durationMs);
  clearInterval(timer);
  await sleep(200);
  send({
    result: {
      sent,
      received: rtts.length,
      bytesReceived: 0,
      elapsedMs: performance.now() - t0 - WARMUP_MS,
      rtts: rtts.sort((x, y) => x - y),
    },
  });
  echo.close();
}

const task = JSON.parse(process.env.DERPDESK_BENCH_TASK ?? '{}') as WorkerTask;
const runners: { [K in WorkerTask['kind']]: (t: Extract<WorkerTask, { kind: K }>) => Promise<void> | void } = {
  flood: async (t) => closedLoop(await derpLink(t.url, t.size), t.size, t.durationMs),
  'pipe-flood': async (t) => closedLoop(await pipeLink(t.port, t.tls, t.size), t.size, t.durationMs),
  'pipe-server': pipeServer,
  paced,
  idle,
  handshakes,
  stall,
  stun,
  latency,
};
Promise.resolve((runners[task.kind] as (t: WorkerTask) => Promise<void> | void)(task)).then(
  () => task.kind !== 'pipe-server' && setTimeout(() => process.exit(0), 100),
  (err: Error) => {
    send({ error: err.message });
    process.exit(1);
  },
);
