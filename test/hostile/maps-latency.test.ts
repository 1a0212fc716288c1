/**
 * The relay shares its event loop with the map editor (in the app and in `derpdesk host`): opening and diffing the
 * largest map the editor accepts must not hold up DERP handshakes. Before the map worker, a 4 MiB derp.yaml held
 * the loop for seconds and handshakes waited as long.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppServices } from '../../electron/app/services.js';
import { DerpClient } from '../../electron/derp/client.js';
import { silentLogger } from '../../electron/util/log.js';
import { MAX_MAP_BYTES } from '../../shared/limits.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';
import { bigDerpYaml } from '../derpmap/big-map.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-maps-latency-'));
const app = createAppServices({ dataDir: path.join(dir, 'data'), logger: silentLogger });
afterAll(async () => {
  await app.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts a handshake every `intervalMs`, as clients arriving on their own schedule would, until `work` settles;
 * returns each one's latency in ms. Latency counts from when the handshake was due, not from when this loop got
 * to start it: a client does not wait for our event loop before it connects.
 */
async function handshakesDuring(url: string, work: Promise<unknown>, intervalMs = 50): Promise<number[]> {
  let done = false;
  void work.finally(() => (done = true)).catch(() => {});
  const t0 = performance.now();
  const pending: Array<Promise<number>> = [];
  for (let i = 0; !done || i < 100; i++) {
    const due = t0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      DerpClient.connect({ url, timeoutMs: 120_000 }).then((c) => {
        c.close();
        return performance.now() - due;
      }),
    );
  }
  const results = await Promise.allSettled(pending);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<number>).value);
}

/** A thread that keeps one core busy for `ms`. */
function busyThread(ms: number): Promise<unknown> {
  const w = new Worker(`const end = Date.now() + ${ms}; while (Date.now() < end);`, { eval: true });
  return once(w, 'exit');
}

function summary(latencies: number[]): string {
  return `${latencies.length} handshakes: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

let url: string;
const text = bigDerpYaml(MAX_MAP_BYTES - 1);
beforeAll(async () => {
  const saved = await app.handlers['settings.save']({
    ...DEFAULT_SETTINGS,
    listenAddr: '127.0.0.1:0',
    stunEnabled: false,
  });
  if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
  const state = await app.handlers['relay.start']();
  if (state.status !== 'running') throw new Error(JSON.stringify(state));
  url = state.endpoints[0].url.replace('localhost', '127.0.0.1');
});

describe('relay latency while a large map is opened and diffed', () => {
  // Retried because other test files load the machine unevenly over the minute this takes; the map work on the
  // relay's thread, as before the worker, fails every attempt by seconds.
  it('adds less than 50 ms to DERP handshakes at p99', { timeout: 180_000, retry: 2 }, async () => {
    // The baseline: the same handshakes while another thread keeps a core busy, as the map worker will.
    const idle = await handshakesDuring(url, busyThread(5000));
    const work = (async () => {
      // Handshakes are under way before the map work starts.
      await new Promise((r) => setTimeout(r, 300));
      const opened = await app.handlers['map.open']({ kind: 'text', text, name: 'derp.yaml' });
      opened.map.Regions['700'].Nodes[0].HostName = 'moved.example.com';
      return app.handlers['map.diff']({
        path: 'derp.yaml',
        map: opened.map,
        format: opened.format,
        baseText: opened.text,
      });
    })();
    const latencies = await handshakesDuring(url, work);
    const diff = await work;

    expect(diff).toContain('-        hostname: derp-700-a.example.com\n+        hostname: moved.example.com\n');
    const p99 = percentile(latencies, 99);
    const idleP99 = percentile(idle, 99);
    console.log(
      `with a busy thread: ${summary(idle)}; while a ${(text.length / 1024 / 1024).toFixed(2)} MiB map was opened and diffed: ${summary(latencies)}`,
    );
    // On a quiet machine the baseline p99 is a few ms and this is the plain 50 ms bound; on a loaded one (shared
    // CI runners), the machine's own scheduling noise is not the map work's doing. Before the map worker, p99 was
    // the whole parse: seconds.
    expect(p99).toBeLessThan(50 + idleP99);
  });
});
