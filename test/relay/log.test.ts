/** electron/util/log.ts: the debug level is off unless asked for, and the rate-limited wrapper passes it through. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createConsoleLogger, rateLimitedLogger, silentLogger, type Logger } from '../../electron/util/log.js';

afterEach(() => vi.restoreAllMocks());

describe('loggers', () => {
  it('writes debug lines only when verbose', () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    const quiet = createConsoleLogger();
    expect(quiet.debugEnabled).toBe(false);
    quiet.debug('hidden');
    expect(out).not.toHaveBeenCalled();
    const verbose = createConsoleLogger({ verbose: true });
    expect(verbose.debugEnabled).toBe(true);
    verbose.debug('shown');
    expect(out).toHaveBeenCalledTimes(1);
    expect(String(out.mock.calls[0][0])).toMatch(/^\d{4}-\d\d-\d\dT\S+ debug: shown$/);
    expect(silentLogger.debugEnabled).toBe(false);
  });

  it('passes debug and debugEnabled through the rate-limited wrapper', () => {
    const lines: string[] = [];
    const base: Logger = { info: () => {}, warn: () => {}, debug: (m) => lines.push(m), debugEnabled: true };
    const log = rateLimitedLogger(base);
    expect(log.debugEnabled).toBe(true);
    log.debug('x');
    expect(lines).toEqual(['x']);
    expect(rateLimitedLogger(silentLogger).debugEnabled).toBe(false);
  });
});
