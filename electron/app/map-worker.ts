/** The map worker thread: runs one map job per message and answers with its result or its error. */
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { mapJobs, type MapJobName } from './map-jobs.js';
import { fromPieces, pack, transferList, unpack, type Packed } from './sliced-transfer.js';
import { errorMessage } from '../../shared/errors.js';

/** Arguments and results travel packed (sliced-transfer.ts) so the main thread never copies a map in one go. */
export interface JobRequest {
  id: number;
  name: MapJobName;
  args: Packed;
}

export type JobReply =
  | { id: number; ok: true; value: Packed }
  | { id: number; ok: false; error: { name: string; message: string; line?: number; column?: number } };

if (!parentPort) throw new Error('map-worker runs as a worker thread (see map-work.ts), not on its own');
// Map work is background work: when the cores are busy, the relay's thread goes first. On Linux the nice value
// is per thread, so this lowers only this worker; elsewhere it may not apply, which costs nothing but the priority.
try {
  os.setPriority(os.constants.priority.PRIORITY_LOW);
} catch {
  // Not permitted here: the work still runs, at normal priority.
}
const port = parentPort;
port.on('message', ({ id, name, args }: JobRequest) => {
  let reply: JobReply;
  try {
    reply = {
      id,
      ok: true,
      value: pack((mapJobs[name] as (...a: unknown[]) => unknown)(...(fromPieces(unpack(args)) as unknown[]))),
    };
  } catch (err) {
    const e = err as Error & { line?: number; column?: number };
    reply = {
      id,
      ok: false,
      error: { name: e.constructor?.name ?? 'Error', message: errorMessage(err), line: e.line, column: e.column },
    };
  }
  port.postMessage(reply, reply.ok ? transferList(reply.value) : []);
});
