/**
 * derper's -verify-clients: a client is admitted when the tailscaled on this machine knows its node key, asked
 * through tailscaled's LocalAPI (`GET /localapi/v0/whois?addr=nodekey:…` over its Unix socket; 200 = a peer of
 * this tailnet, 404 = unknown). Any other outcome refuses, as derper does: the check exists to keep strangers out.
 */
import http from 'node:http';
import { formatNodePublic } from '../derp/keys.js';
import type { AdmissionRequest } from './server.js';
import { errorMessage } from '../../shared/errors.js';

/** tailscaled's socket on Linux (derper's default when -socket is empty). */
export const DEFAULT_TAILSCALED_SOCKET = '/var/run/tailscale/tailscaled.sock';
const MAX_ERROR_BODY_BYTES = 4 << 10;

interface WhoIsAnswer {
  status: number;
  body: string;
}

function whois(socketPath: string, nodeKey: string, timeoutMs: number): Promise<WhoIsAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        method: 'GET',
        path: `/localapi/v0/whois?addr=${encodeURIComponent(nodeKey)}`,
        // tailscaled checks the Host of LocalAPI requests; this is the name its own clients send.
        headers: { Host: 'local-tailscaled.sock' },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ERROR_BODY_BYTES) chunks.push(c);
          size += c.length;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY_BYTES),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Resolves null to admit, or why the client is refused. */
export async function verifyViaTailscaled(
  socketPath: string,
  req: AdmissionRequest,
  timeoutMs = 5_000,
): Promise<string | null> {
  const key = formatNodePublic(req.key);
  let answer: WhoIsAnswer;
  try {
    answer = await whois(socketPath, key, timeoutMs);
  } catch (err) {
    return `cannot ask the local tailscaled about ${key} at ${socketPath} (${errorMessage(err)})`;
  }
  if (answer.status === 200) return null;
  if (answer.status === 404) return `${key} not authorized (not found in local tailscaled)`;
  if (answer.body.includes("invalid 'addr' parameter"))
    return 'the local tailscaled is too old to look up node keys; update tailscale on this machine';
  return `the local tailscaled answered ${answer.status} for ${key}: ${answer.body.trim().slice(0, 200)}`;
}
