/**
 * How acme-client talks to ACME servers. It has one shared axios instance and no per-client transport options, so
 * the settings live here, installed once: a deadline on every request, short in-library retries (our own back-off
 * in the certificate manager does the waiting), and an extra trust anchor per directory origin (a test or private
 * ACME server), added to the system roots for requests to that origin only. acme-client loses the reason when a
 * request gets no answer at all (it reports a TypeError), so a failed attempt asks the directory again here.
 */
import type AcmeClient from 'acme-client';
import https from 'node:https';
import tls from 'node:tls';

const REQUEST_TIMEOUT_MS = 30_000;
const agentsByOrigin = new Map<string, https.Agent>();
let loaded: Promise<AcmeLib> | null = null;

export type AcmeLib = typeof AcmeClient;

interface AcmeSettings {
  retryMaxAttempts: number;
  retryDefaultDelay: number;
}

/** acme-client with the settings above; loaded on first use, so commands that never use ACME do not pay for it. */
async function load(): Promise<AcmeLib> {
  const acme = ((await import('acme-client')) as unknown as { default: AcmeLib }).default;
  const defaults = acme.axios.defaults as typeof acme.axios.defaults & { acmeSettings: AcmeSettings };
  // acme-client waits 5 s, 10 s, ... up to five times for a server that does not answer; one quick retry is
  // enough, after which the manager's back-off and log line tell the operator.
  defaults.acmeSettings.retryMaxAttempts = 1;
  defaults.acmeSettings.retryDefaultDelay = 1;
  defaults.timeout = REQUEST_TIMEOUT_MS;
  acme.axios.interceptors.request.use((config) => {
    const agent = config.url ? agentsByOrigin.get(originOf(config.url)) : undefined;
    if (agent) config.httpsAgent = agent;
    return config;
  });
  return acme;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/** acme-client, ready; with `caPem`, requests to the directory's origin also trust that certificate. */
export async function loadAcme(directoryUrl: string, caPem: string | null): Promise<AcmeLib> {
  loaded ??= load();
  const acme = await loaded;
  const origin = originOf(directoryUrl);
  if (caPem) agentsByOrigin.set(origin, new https.Agent({ ca: [...tls.rootCertificates, caPem], keepAlive: false }));
  else agentsByOrigin.delete(origin);
  return acme;
}

/**
 * One GET of the directory with the same trust: the transport error code (ECONNREFUSED, ENOTFOUND, a TLS
 * verification code) when it cannot be fetched, or null when it answers.
 */
export function probeDirectory(directoryUrl: string, timeoutMs = 10_000): Promise<string | null> {
  return new Promise((resolve) => {
    let req: ReturnType<typeof https.get>;
    try {
      req = https.get(
        directoryUrl,
        { agent: agentsByOrigin.get(originOf(directoryUrl)), timeout: timeoutMs },
        (res) => {
          res.resume();
          resolve(null);
        },
      );
    } catch (err) {
      resolve((err as NodeJS.ErrnoException).code ?? 'EINVAL');
      return;
    }
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] }) =>
      resolve(err.code ?? err.errors?.[0]?.code ?? 'ECONNRESET'),
    );
  });
}
