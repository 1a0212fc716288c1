/** HTTP-01 answers on the plain-HTTP port: `/.well-known/acme-challenge/<token>` gets the key authorization. */
import type { IncomingMessage, ServerResponse } from 'node:http';

const PREFIX = '/.well-known/acme-challenge/';

/** Answers the request if it is for an ACME challenge (200 with a pending token, else 404); false otherwise. */
export function serveHttpChallenge(
  req: IncomingMessage,
  res: ServerResponse,
  keyAuthorization: (token: string) => string | undefined,
): boolean {
  const p = (req.url ?? '').split('?')[0];
  if (!p.startsWith(PREFIX)) return false;
  const answer = keyAuthorization(p.slice(PREFIX.length));
  if (answer === undefined) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('no such ACME challenge\n');
  } else {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(answer);
  }
  return true;
}
