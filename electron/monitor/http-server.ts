/**
 * The prober's read-only HTTP endpoints, as derpprobe serves them: `/` the status page, `/json` the same as JSON,
 * `/metrics` for Prometheus, `/healthz`. Nothing can be changed through it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MonitorSnapshot } from '../../shared/monitor.js';
import { renderMetrics } from './metrics.js';
import { renderStatusPage } from './status-page.js';

export interface ProbeHttpServer {
  address: AddressInfo;
  close(): Promise<void>;
}

export async function startProbeHttp(
  host: string,
  port: number,
  snapshot: () => MonitorSnapshot,
  namespace: string,
): Promise<ProbeHttpServer> {
  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(405, 'text/plain; charset=utf-8', 'only GET and HEAD\n');
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/metrics')
      return send(200, 'text/plain; version=0.0.4; charset=utf-8', renderMetrics(snapshot().probes, namespace));
    if (path === '/json') return send(200, 'application/json', JSON.stringify(snapshot(), null, 2) + '\n');
    if (path === '/healthz') return send(200, 'text/plain; charset=utf-8', 'ok\n');
    if (path === '/') return send(200, 'text/html; charset=utf-8', renderStatusPage(snapshot()));
    send(404, 'text/plain; charset=utf-8', 'not found: try /, /json or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
