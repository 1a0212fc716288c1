/** The built renderer, served read-only from one directory: nothing outside it, nothing but GET and HEAD. */
import { promises as fs } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { refuse, securityHeaders } from './responses.js';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Answers `urlPath` (already decoded and checked by the request guard) from `staticDir`; never rejects. */
export async function serveStatic(
  staticDir: string,
  urlPath: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  tls: boolean,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...securityHeaders(tls), Allow: 'GET, HEAD' }).end();
    return;
  }
  const rel = urlPath === '/' ? '/index.html' : urlPath;
  const root = path.resolve(staticDir);
  const file = path.resolve(root, '.' + rel);
  if (!file.startsWith(root + path.sep)) return refuse(res, tls, 404, 'not found');
  let body: Buffer;
  try {
    body = await fs.readFile(file);
  } catch {
    if (rel === '/index.html') return refuse(res, tls, 500, 'the renderer is not built: run `npm run build` first');
    return refuse(res, tls, 404, 'not found');
  }
  res.writeHead(200, {
    ...securityHeaders(tls),
    'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
  });
  res.end(body);
}
