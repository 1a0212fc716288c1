/** Minimal logger interface so services stay free of any logging framework and tests can capture output. */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  /** Detail for `-verbose` (connections, admission decisions, mesh links): dropped unless debug is on. */
  debug(msg: string): void;
  /**
   * Whether `debug` writes anything. Code on a busy path tests this before building a debug message, so a relay
   * without `-verbose` pays one boolean check, not a template string. Absent means off.
   */
  readonly debugEnabled?: boolean;
}

const noop = () => {};

/** Info to stdout, warnings to stderr, each line stamped; debug lines (to stdout) only when `verbose`. */
export function createConsoleLogger(opts: { verbose?: boolean } = {}): Logger {
  const verbose = opts.verbose === true;
  return {
    info: (msg) => console.log(`${new Date().toISOString()} ${msg}`),
    warn: (msg) => console.warn(`${new Date().toISOString()} ${msg}`),
    debug: verbose ? (msg) => console.log(`${new Date().toISOString()} debug: ${msg}`) : noop,
    debugEnabled: verbose,
  };
}

export const consoleLogger: Logger = createConsoleLogger();

export const silentLogger: Logger = { info: noop, warn: noop, debug: noop, debugEnabled: false };

/**
 * Hostile clients can produce a log line per connection; this caps each message class at `burst` lines per
 * `windowMs` and reports how many were suppressed.
 */
export function rateLimitedLogger(
  base: Logger,
  burst = 5,
  windowMs = 30_000,
): Logger & { warnKeyed(key: string, msg: string): void } {
  const windows = new Map<string, { start: number; count: number; suppressed: number }>();
  const warnKeyed = (key: string, msg: string) => {
    const now = Date.now();
    let w = windows.get(key);
    if (!w || now - w.start >= windowMs) {
      if (w && w.suppressed > 0) base.warn(`(${w.suppressed} similar "${key}" messages suppressed)`);
      w = { start: now, count: 0, suppressed: 0 };
      windows.set(key, w);
      if (windows.size > 1000) windows.clear();
    }
    if (w.count < burst) {
      w.count++;
      base.warn(msg);
    } else {
      w.suppressed++;
    }
  };
  return { info: base.info, warn: base.warn, debug: base.debug, debugEnabled: base.debugEnabled === true, warnKeyed };
}
