/** The map worker thread: runs one map job per message and answers with its result or its error. */
import { parentPort } from 'node:worker_threads';
import { mapJobs, type MapJobName } from './map-jobs.js';

export interface JobRequest {
  id: number;
  name: MapJobName;
  args: unknown[];
}

export type JobReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { name: string; message: string; line?: number; column?: number } };

if (!parentPort) throw new Error('map-worker runs as a worker thread (see map-work.ts), not on its own');
const port = parentPort;
port.on('message', ({ id, name, args }: JobRequest) => {
  let reply: JobReply;
  try {
    reply = { id, ok: true, value: (mapJobs[name] as (...a: unknown[]) => unknown)(...args) };
  } catch (err) {
    const e = err as Error & { line?: number; column?: number };
    reply = { id, ok: false, error: { name: e.constructor?.name ?? 'Error', message: e.message, line: e.line, column: e.column } };
  }
  port.postMessage(reply);
});
