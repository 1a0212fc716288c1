/**
 * Turning a caught `unknown` into text. Anything can be thrown (an Error, a string, a rejected `undefined`), so code
 * that reports a failure goes through here instead of casting with `(err as Error).message`.
 */

/** The message of an Error, a thrown string as is, anything else as JSON (or `String()` when it has no JSON form). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
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
