/**
 * The desktop app's log file. Started from a launcher or at login, the app has no terminal, so what the relay
 * says must also go to a file the user can find (Help > Open Log Folder, the About box). One previous file is
 * kept when the log grows past `maxBytes` at start.
 */
import { createWriteStream, mkdirSync, renameSync, statSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../util/log.js';

export const LOG_FILE_NAME = 'derpdesk.log';

export interface FileLogger extends Logger {
  readonly file: string;
  close(): Promise<void>;
}

function rotateIfLarge(file: string, maxBytes: number): void {
  try {
    if (statSync(file).size > maxBytes) renameSync(file, `${file}.1`);
  } catch {
    // No log yet: nothing to rotate.
  }
}

/** Writes every line `inner` gets to `dir`/derpdesk.log too, stamped and marked with its level. */
export function createFileLogger(dir: string, inner: Logger, maxBytes = 5 * 1024 * 1024): FileLogger {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOG_FILE_NAME);
  rotateIfLarge(file, maxBytes);
  const out: WriteStream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  // A full disk must not take the relay down with an unhandled stream error; the console still gets every line.
  out.on('error', () => {});
  const line = (level: string, msg: string) => out.write(`${new Date().toISOString()} ${level} ${msg}\n`);
  return {
    file,
    debugEnabled: inner.debugEnabled,
    info: (msg) => {
      inner.info(msg);
      line('info', msg);
    },
    warn: (msg) => {
      inner.warn(msg);
      line('warn', msg);
    },
    debug: (msg) => {
      inner.debug(msg);
      if (inner.debugEnabled) line('debug', msg);
    },
    close: () => new Promise((resolve) => out.end(resolve)),
  };
}
