/**
 * The path of an HTTP request target, judged as Go's net/http judges it for derper: origin-form ("/path?q") and
 * absolute-form ("http://host/path") are accepted, anything else (a bad percent escape, an unparsable URL, "*")
 * is a 400 Bad Request. llhttp already refuses control characters and NUL.
 */

const BAD_PERCENT_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

/** The request's path without its query, or null when the target is malformed. */
export function requestPath(target: string | undefined): string | null {
  if (!target) return null;
  let path: string;
  if (target.startsWith('/')) {
    const q = target.indexOf('?');
    path = q < 0 ? target : target.slice(0, q);
  } else if (/^https?:\/\//i.test(target)) {
    try {
      path = new URL(target).pathname;
    } catch {
      return null;
    }
  } else {
    return null;
  }
  return BAD_PERCENT_ESCAPE.test(path) ? null : path;
}
