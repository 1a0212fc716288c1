/**
 * STUN server benchmark: `derpdesk relay` with only its STUN socket loaded, by two worker processes keeping a
 * window of Binding Requests outstanding on several sockets each. Counts responses received.
 */
import { runWorkers, startRelayProcess } from './process.js';
import type { BenchResult } from './types.js';

export async function benchStun(dataDir: string, durationMs: number): Promise<BenchResult> {
  const relay = await startRelayProcess(dataDir, { args: ['-stun-listen', '127.0.0.1:0'] });
  try {
    const port = Number(/STUN listening on 127\.0\.0\.1:(\d+)/.exec(relay.output())![1]);
    const cpu0 = relay.cpuSeconds();
    const t0 = performance.now();
    const results = await runWorkers(
      Array.from({ length: 2 }, () => ({
        kind: 'stun' as const,
        host: '127.0.0.1',
        port,
        sockets: 4,
        window: 32,
        durationMs,
      })),
    );
    const wall = (performance.now() - t0) / 1000;
    const cpu = relay.cpuSeconds() - cpu0;
    const secs = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
    const received = results.reduce((n, r) => n + r.received, 0);
    const rate = received / secs;
    const serverCpu = cpu / wall;
    return {
      title: 'STUN binding responses (relay process with STUN only, 2 load processes × 4 sockets × 32 outstanding)',
      rows: [
        { figure: 'responses per second received', value: Math.round(rate) },
        { figure: 'server CPU (share of one core)', value: `${(serverCpu * 100).toFixed(0)}%` },
        { figure: 'responses per second per server core', value: Math.round(rate / Math.max(serverCpu, 0.01)) },
      ],
      notes: [
        'The load processes share the 2 cores with the server; the per-core figure divides by the CPU time the server actually used.',
      ],
    };
  } finally {
    await relay.stop();
  }
}
