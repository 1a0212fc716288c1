/**
 * The last line of defence for a long-running derpdesk process (`derpdesk relay`, `derpdesk host`, the Electron
 * main process): nothing that escapes every other handler may pass silently.
 *
 * Policy:
 * - An uncaught exception left some operation half-done and nobody knows which state it left behind, so the
 *   process logs the stack and exits with status 70 (EX_SOFTWARE): a supervisor (systemd, Docker, launchd) restarts
 *   a clean process, and DERP clients reconnect on their own.
 * - An unhandled promise rejection means an operation failed and nobody was waiting for the answer; the state it
 *   touched is usually intact, so the process logs the stack and keeps serving. A burst of them (more than
 *   `maxRejectionsPerMinute`) means something is failing in a loop, and is treated like an uncaught exception.
 */
import type { Logger } from './log.js';

export const EXIT_SOFTWARE = 70;

export interface LastResortOptions {
  /** Names the process in log lines, e.g. "derpdesk relay". */
  name: string;
  maxRejectionsPerMinute?: number;
  /** Replaces process.exit (tests). */
  exit?: (code: number) => void;
}

function describe(reason: unknown): string {
  if (reason instanceof Error) return reason.stack ?? `${reason.name}: ${reason.message}`;
  try {
    return `non-Error value ${JSON.stringify(reason)}`;
  } catch {
    return `non-Error value ${String(reason)}`;
  }
}

/** Installs the handlers; returns a function that removes them. */
export function installLastResort(logger: Logger, opts: LastResortOptions): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const maxRejections = opts.maxRejectionsPerMinute ?? 10;
  let windowStart = 0;
  let rejections = 0;

  const fatal = (what: string, reason: unknown): void => {
    logger.warn(`${opts.name}: fatal: ${what}: ${describe(reason)}`);
    logger.warn(
      `${opts.name}: exiting with status ${EXIT_SOFTWARE} because the process state is unknown; a supervisor should restart it`,
    );
    exit(EXIT_SOFTWARE);
  };

  const onException = (err: unknown): void => fatal('uncaught exception', err);

  const onRejection = (reason: unknown): void => {
    const now = Date.now();
    if (now - windowStart > 60_000) {
      windowStart = now;
      rejections = 0;
    }
    if (++rejections > maxRejections) {
      fatal(`more than ${maxRejections} unhandled promise rejections within a minute, the latest`, reason);
      return;
    }
    logger.warn(
      `${opts.name}: unhandled promise rejection (still serving; please report this as a bug): ${describe(reason)}`,
    );
  };

  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
