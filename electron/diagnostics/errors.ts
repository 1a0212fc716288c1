/**
 * Socket and file errors in words a user can act on. Node's messages name errno codes ("connect ECONNREFUSED
 * 127.0.0.1:3340", "ENOENT", "Port should be > 0 and < 65536") that mean nothing to someone checking a relay.
 */
import { errorMessage } from '../../shared/errors.js';

const CODE_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens on that port)',
  ECONNRESET: 'the server closed the connection abruptly',
  EPIPE: 'the server closed the connection',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable (no route to it)',
  ENETUNREACH: 'network unreachable (no route to it)',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'the name does not resolve (no DNS record)',
  EAI_AGAIN: 'DNS lookup failed (temporary failure; try again)',
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory, not a file',
  ERR_SOCKET_BAD_PORT: 'not a valid port (give 1 to 65535)',
  ERR_INVALID_URL: 'not a valid URL',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server did not answer in TLS (a plain HTTP port?)',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'the server did not answer in TLS (a plain HTTP port?)',
};

/** The errno or Node error code of `err` or of its cause, if any. */
function codeOf(err: unknown): string | undefined {
  for (let e = err, i = 0; typeof e === 'object' && e !== null && i < 4; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code in CODE_TEXT) return code;
  }
  return undefined;
}

/** A readable text for a failure: the code's meaning when known, else the message as is. */
export function readableError(err: unknown): string {
  const code = codeOf(err);
  if (code) return CODE_TEXT[code];
  const msg = errorMessage(err);
  if (/wrong version number|packet length too long/i.test(msg)) return CODE_TEXT.ERR_SSL_WRONG_VERSION_NUMBER;
  return msg;
}

/** Whether a TLS failure means the port speaks something other than TLS (as opposed to a refused certificate). */
export function isNotTls(err: unknown): boolean {
  return readableError(err) === CODE_TEXT.ERR_SSL_WRONG_VERSION_NUMBER;
}

/**
 * An error whose message ends in a bare code, as the file layer words it ("cannot read /x: ENOENT"), with the
 * code in words; any other error as it is.
 */
export function withReadableCode(err: unknown): Error {
  const m = /^(.*): ([A-Z][A-Z_]+)$/s.exec(errorMessage(err));
  if (m && m[2] in CODE_TEXT) return new Error(`${m[1]}: ${CODE_TEXT[m[2]]}`, { cause: err });
  return err instanceof Error ? err : new Error(errorMessage(err));
}
