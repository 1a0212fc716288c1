/**
 * Turning a caught `unknown` into text. Anything can be thrown (an Error, a string, a rejected `undefined`), so code
 * that reports a failure goes through here instead of casting with `(err as Error).message`.
 */

/**
 * The message of an Error, a thrown string as is, anything else as JSON (or `String()` when it has no JSON form).
 * A Node system error about a file or a port reads as a sentence naming it, with the code kept for searching.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return systemErrorText(err) ?? err.message;
  if (typeof err === 'string') return err;
  if (err === undefined) return 'undefined';
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  try {
    const json = JSON.stringify(err);
    if (json !== undefined) return json;
  } catch {
    // A cycle or a BigInt: fall through to String().
  }
  return String(err);
}

/** For a log line about a bug: an Error's stack (which starts with its message), anything else as errorMessage. */
export function errorDetail(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return errorMessage(err);
}

/**
 * The message followed by each cause's message, `"a: b: c"`, for log lines where the underlying reason matters
 * (fetch's "fetch failed" says nothing without its cause). A cause whose message the outer one already contains is
 * skipped, and the chain is cut after a few links so a cyclic cause cannot loop.
 */
export function errorWithCauses(err: unknown, maxDepth = 5): string {
  let text = errorMessage(err);
  let cur: unknown = err;
  for (let i = 0; i < maxDepth; i++) {
    if (typeof cur !== 'object' || cur === null || !('cause' in cur)) break;
    cur = (cur as { cause?: unknown }).cause;
    if (cur === undefined) break;
    const m = errorMessage(cur);
    if (m && !text.includes(m)) text += `: ${m}`;
  }
  return text;
}

/**
 * The message of the error's direct cause when it has one, else its own. `fetch` rejects with a bare "fetch failed"
 * whose cause says what happened ("connect ECONNREFUSED 127.0.0.1:1").
 */
export function causeMessage(err: unknown): string {
  const cause = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
  return cause === undefined || cause === null ? errorMessage(err) : errorMessage(cause);
}

/** Whether `err` is the rejection of an `AbortSignal.timeout()` signal (a DOMException named TimeoutError). */
export function isTimeoutError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'TimeoutError';
}

/** The fields Node puts on a system error (fs, net, dgram, child_process). */
interface SystemErrorFields {
  code?: unknown;
  syscall?: unknown;
  path?: unknown;
  address?: unknown;
  port?: unknown;
}

const FILE_ERRORS: Record<string, (file: string) => string> = {
  ENOENT: (f) => `No such file: ${f}`,
  EACCES: (f) => `Permission denied: ${f}; check its owner and mode (ls -l), and those of the folders above it`,
  EPERM: (f) => `Operation not permitted on ${f}; check its owner and mode (ls -l)`,
  EISDIR: (f) => `${f} is a folder; give a file`,
  ENOTDIR: (f) => `${f}: a part of this path is a file, not a folder`,
  EEXIST: (f) => `${f} already exists`,
  ENOSPC: (f) => `No space left on the disk holding ${f}`,
  EROFS: (f) => `${f} is on a read-only file system`,
};

const LISTEN_ERRORS: Record<string, (port: string, address: string) => string> = {
  EADDRINUSE: (port) => `Port ${port} is already in use by another program; stop that program or choose another port`,
  EACCES: (port) =>
    `Permission denied to listen on port ${port}: ports below 1024 need root or CAP_NET_BIND_SERVICE (see docs/service.md)`,
  EADDRNOTAVAIL: (_port, address) =>
    `Address ${address} does not belong to this machine; listen on one of its own addresses, or 0.0.0.0 / :: for all`,
};

/** A readable sentence for a Node system error about a file or a listening socket; null for anything else. */
function systemErrorText(err: Error): string | null {
  const e = err as Error & SystemErrorFields;
  if (e.code === 'ERR_SOCKET_BAD_PORT') {
    // Node ends the message with what it was given: "... Received type number (70000)."
    const received = /\(([^)]*)\)\.?$/.exec(err.message)?.[1];
    return `${received ? `Port ${received}` : 'The port'} is not a valid port: use a whole number from 0 to 65535 (ERR_SOCKET_BAD_PORT)`;
  }
  if (typeof e.code !== 'string' || typeof e.syscall !== 'string') return null;
  if ((e.syscall === 'listen' || e.syscall === 'bind') && Object.hasOwn(LISTEN_ERRORS, e.code)) {
    const address = typeof e.address === 'string' ? e.address : '';
    // Node leaves the port out for port 0.
    const port = typeof e.port === 'number' ? String(e.port) : '0';
    const host = address.includes(':') ? `[${address}]` : address;
    const where = address ? ` on ${host}${e.port === undefined ? '' : `:${port}`}` : '';
    return `${LISTEN_ERRORS[e.code](port, address)} (${e.code}${where})`;
  }
  // A read of a folder opened as a file fails without the path: the caller's message names it.
  if (e.code === 'EISDIR' && e.path === undefined) return 'a folder was given where a file is needed (EISDIR)';
  if (typeof e.path === 'string' && Object.hasOwn(FILE_ERRORS, e.code)) {
    if (e.code === 'ENOENT' && e.syscall.startsWith('spawn')) return `Program not found: ${e.path} (ENOENT)`;
    return `${FILE_ERRORS[e.code](e.path)} (${e.code})`;
  }
  return null;
}
