/**
 * derper's /bootstrap-dns: the addresses of a few names, resolved by the relay, for clients whose own DNS is
 * broken (Tailscale's control plane names, typically). Published names are answered as one JSON object; an
 * unpublished name is answered only to a client that asks for it by `?q=`, optionally to a share of clients set
 * by a TXT record ("name/txt-name", the TXT record holding 0..100).
 */
import { promises as dns } from 'node:dns';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../../shared/errors.js';

/** derper refreshes every ten minutes and gives each refresh a minute. */
export const BOOTSTRAP_REFRESH_MS = 10 * 60_000;
export const BOOTSTRAP_REFRESH_TIMEOUT_MS = 60_000;
/** derper forgets the set of names clients asked about beyond this many (the set only feeds a gauge). */
const MAX_QUERIED_NAMES = 500;
const MAX_QUERY_LENGTH = 253;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

export interface BootstrapName {
  name: string;
  /** DNS name of a TXT record with the rollout percentage; absent means every client. */
  rolloutTxt?: string;
}

/** How names are resolved; the system resolver (hosts file included) unless a test names a DNS server. */
export interface NameResolver {
  addresses(name: string): Promise<string[]>;
  txt(name: string): Promise<string[]>;
}

export const systemResolver: NameResolver = {
  addresses: async (name) => (await dns.lookup(name, { all: true, verbatim: true })).map((a) => a.address),
  txt: async (name) => (await dns.resolveTxt(name)).map((chunks) => chunks.join('')),
};

/** A resolver that asks the given DNS servers ("127.0.0.1:8053") for A, AAAA and TXT records. */
export function serverResolver(servers: string[]): NameResolver {
  const r = new dns.Resolver({ timeout: 5_000, tries: 2 });
  r.setServers(servers);
  const settle = async (p: Promise<string[]>) => p.catch(() => [] as string[]);
  return {
    addresses: async (name) => {
      const [v4, v6] = await Promise.all([settle(r.resolve4(name)), settle(r.resolve6(name))]);
      if (v4.length + v6.length === 0) throw new Error(`no A or AAAA records for ${name}`);
      return [...v4, ...v6];
    },
    txt: async (name) => (await r.resolveTxt(name)).map((chunks) => chunks.join('')),
  };
}

/** Parses derper's comma-separated list; throws on a name that is not a host name. */
export function parseBootstrapNames(list: string, flag: string): BootstrapName[] {
  return list
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .map((entry) => {
      const [name, rolloutTxt, ...rest] = entry.split('/');
      for (const n of [name, rolloutTxt]) {
        if (n !== undefined && (!HOST_NAME.test(n) || isIP(n))) {
          throw new Error(`${flag}: "${entry}" is not a host name (or host/txt-record-name)`);
        }
      }
      if (rest.length > 0) throw new Error(`${flag}: "${entry}" has more than one "/"`);
      return rolloutTxt === undefined ? { name } : { name, rolloutTxt };
    });
}

interface Resolved {
  ips: string[];
  /** 0..1; 1 without a TXT record. */
  share: number;
}

/**
 * Whether a client belongs to the rollout share. Keyed by the client's address so one client gets a stable
 * answer (derper seeds a random generator with the address; any stable hash does the same job).
 */
export function inRolloutShare(remoteIp: string, share: number): boolean {
  if (share <= 0) return false;
  if (share >= 1) return true;
  let h = 0x811c9dc5;
  for (let i = 0; i < remoteIp.length; i++) {
    h ^= remoteIp.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 0x1_0000_0000 < share;
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface BootstrapDnsOptions {
  published: BootstrapName[];
  unpublished: BootstrapName[];
  resolver?: NameResolver;
  logger: Logger;
  refreshMs?: number;
  timeoutMs?: number;
}

export class BootstrapDns {
  readonly counters = {
    requests: 0,
    publishedHits: 0,
    publishedMisses: 0,
    unpublishedHits: 0,
    unpublishedMisses: 0,
    unpublishedPercentMisses: 0,
  };
  private published = new Map<string, Resolved>();
  /** The published answer, rendered once per refresh: requests only write it. */
  private publishedJson = '{}';
  private unpublished = new Map<string, Resolved>();
  private readonly queried = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly resolver: NameResolver;

  constructor(private readonly opts: BootstrapDnsOptions) {
    this.resolver = opts.resolver ?? systemResolver;
  }

  get enabled(): boolean {
    return this.opts.published.length + this.opts.unpublished.length > 0;
  }

  /** Resolves now and then every refresh interval; the promise settles when the first round is done. */
  start(): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.opts.logger.warn(`bootstrap DNS: refresh: ${errorMessage(err)}`));
    }, this.opts.refreshMs ?? BOOTSTRAP_REFRESH_MS);
    this.timer.unref();
    return this.refresh();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round: a name that fails keeps out of the answer until it resolves again, as in derper. */
  async refresh(): Promise<void> {
    const [published, unpublished] = await Promise.all([
      this.resolveAll(this.opts.published),
      this.resolveAll(this.opts.unpublished),
    ]);
    this.published = published;
    this.unpublished = unpublished;
    const answer: Record<string, string[]> = {};
    for (const name of [...published.keys()].sort()) answer[name] = shuffle([...published.get(name)!.ips]);
    this.publishedJson = JSON.stringify(answer, null, '\t');
  }

  private async resolveAll(names: BootstrapName[]): Promise<Map<string, Resolved>> {
    const out = new Map<string, Resolved>();
    const timeoutMs = this.opts.timeoutMs ?? BOOTSTRAP_REFRESH_TIMEOUT_MS;
    for (const { name, rolloutTxt } of names) {
      try {
        const ips = await withTimeout(this.resolver.addresses(name), timeoutMs, `lookup ${name}`);
        out.set(name, { ips, share: rolloutTxt ? await this.rolloutShare(rolloutTxt, timeoutMs) : 1 });
      } catch (err) {
        this.opts.logger.warn(`bootstrap DNS: lookup ${name}: ${errorMessage(err)}`);
      }
    }
    return out;
  }

  /** A missing or malformed TXT record means 0%, as derper reads it. */
  private async rolloutShare(txtName: string, timeoutMs: number): Promise<number> {
    try {
      const values = await withTimeout(this.resolver.txt(txtName), timeoutMs, `TXT ${txtName}`);
      const pct = values.map((v) => Number(v.trim())).find((v) => Number.isInteger(v) && v >= 0 && v <= 100);
      return pct === undefined ? 0 : pct / 100;
    } catch (err) {
      this.opts.logger.warn(`bootstrap DNS: TXT ${txtName}: ${errorMessage(err)}`);
      return 0;
    }
  }

  serve(req: IncomingMessage, res: ServerResponse, remoteIp: string): void {
    this.counters.requests++;
    // Clients pick a relay at random per request, so holding the connection open only costs the relay.
    res.writeHead(200, {
      'Content-Type': 'application/json',
      Connection: 'close',
      'X-Content-Type-Options': 'nosniff',
    });
    const q = new URL(req.url ?? '/', 'http://relay').searchParams.get('q');
    if (q && q.length <= MAX_QUERY_LENGTH) {
      const single = this.answerQuery(q, remoteIp);
      if (single !== null) {
        res.end(single);
        return;
      }
    }
    res.end(this.publishedJson);
  }

  private answerQuery(q: string, remoteIp: string): string | null {
    if (this.queried.size >= MAX_QUERIED_NAMES) this.queried.clear();
    this.queried.add(q);
    const hidden = this.unpublished.get(q);
    if (hidden && hidden.ips.length > 0) {
      this.counters.unpublishedHits++;
      if (inRolloutShare(remoteIp, hidden.share)) return JSON.stringify({ [q]: hidden.ips }, null, '\t');
      this.counters.unpublishedPercentMisses++;
    }
    const pub = this.published.get(q);
    if (pub) {
      if (pub.ips.length > 0) this.counters.publishedHits++;
      else this.counters.publishedMisses++;
    } else {
      this.counters.unpublishedMisses++;
    }
    return null;
  }

  /** derper's expvar names for the same counters. */
  varz(): string[] {
    const c = this.counters;
    const line = (name: string, type: string, v: number) => `# TYPE ${name} ${type}\n${name} ${v}\n`;
    return [
      line('counter_bootstrap_dns_requests', 'counter', c.requests),
      line('counter_bootstrap_dns_published_hits', 'counter', c.publishedHits),
      line('counter_bootstrap_dns_published_misses', 'counter', c.publishedMisses),
      line('counter_bootstrap_dns_unpublished_hits', 'counter', c.unpublishedHits),
      line('counter_bootstrap_dns_unpublished_misses', 'counter', c.unpublishedMisses),
      line('counter_bootstrap_dns_unpublished_percent_misses', 'counter', c.unpublishedPercentMisses),
      line('counter_bootstrap_dns_queried_domains', 'gauge', this.queried.size),
    ];
  }
}
