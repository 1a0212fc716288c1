/**
 * Who may use the relay: a node-key allowlist file (reloaded when it changes) and derper's verify-client-url
 * contract, which headscale serves at /verify. Mesh peers are never asked (the server checks that first).
 */
import { promises as fs } from 'node:fs';
import { formatNodePublic, parseNodePublic } from '../derp/keys.js';
import type { Logger } from '../util/log.js';
import type { AdmissionCheck, AdmissionRequest } from './server.js';

export interface AllowListSnapshot {
  keys: Set<string>;
  /** Lines that are not `nodekey:<64 hex>`, with their numbers, so the user can fix them. */
  problems: string[];
}

export function parseAllowList(text: string): AllowListSnapshot {
  const keys = new Set<string>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    try {
      keys.add(formatNodePublic(parseNodePublic(line)));
    } catch (err) {
      problems.push(`line ${i + 1}: ${(err as Error).message}`);
    }
  });
  return { keys, problems };
}

/** The allowlist file, re-read when its modification time changes (checked at most once a second). */
export class AllowList {
  private snapshot: AllowListSnapshot = { keys: new Set(), problems: [] };
  private mtimeMs = -1;
  private checkedAt = 0;

  constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {}

  /** Loads the file; a missing or unreadable file is an error at start (a typo must not open the relay). */
  async load(): Promise<AllowListSnapshot> {
    const st = await fs.stat(this.file);
    await this.read(st.mtimeMs);
    return this.snapshot;
  }

  private async read(mtimeMs: number): Promise<void> {
    const next = parseAllowList(await fs.readFile(this.file, 'utf8'));
    this.mtimeMs = mtimeMs;
    this.snapshot = next;
    this.logger.info(`admission: allowlist ${this.file}: ${next.keys.size} keys${next.problems.length ? `; ignored ${next.problems.join('; ')}` : ''}`);
  }

  async current(): Promise<AllowListSnapshot> {
    const now = Date.now();
    if (now - this.checkedAt >= 1000) {
      this.checkedAt = now;
      try {
        const st = await fs.stat(this.file);
        if (st.mtimeMs !== this.mtimeMs) await this.read(st.mtimeMs);
      } catch (err) {
        // Keep the last good list: a file being replaced must not let everyone in or lock everyone out.
        this.logger.warn(`admission: cannot re-read allowlist ${this.file} (${(err as Error).message}); keeping the previous list`);
      }
    }
    return this.snapshot;
  }
}

export interface VerifyUrlOptions {
  url: string;
  /** derper's -verify-client-url-fail-open: admit when the URL cannot be reached (transport errors only). */
  failOpen: boolean;
  timeoutMs?: number;
}

/** derper's admission-controller request: POST {"NodePublic","Source"}, admitted only on 200 with {"Allow":true}. */
export async function verifyViaUrl(opts: VerifyUrlOptions, req: AdmissionRequest, logger: Logger): Promise<string | null> {
  const key = formatNodePublic(req.key);
  let res: Response;
  try {
    res = await fetch(opts.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ NodePublic: key, Source: req.remoteAddress }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
      redirect: 'error',
    });
  } catch (err) {
    const why = (err as Error).name === 'TimeoutError' ? 'timed out' : ((err as Error & { cause?: Error }).cause?.message ?? (err as Error).message);
    if (opts.failOpen) {
      logger.warn(`admission: controller ${opts.url} unreachable (${why}); admitting ${key} (fail-open)`);
      return null;
    }
    return `admission controller unreachable (${why})`;
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    return `admission controller answered ${res.status} ${res.statusText}`;
  }
  let body: unknown;
  try {
    const text = await res.text();
    body = JSON.parse(text.slice(0, 4096));
  } catch {
    return 'admission controller answered with something that is not JSON';
  }
  return (body as { Allow?: unknown })?.Allow === true ? null : `admission controller: ${key}/${req.remoteAddress} not allowed`;
}

export interface AdmissionConfig {
  allowList?: AllowList;
  verifyUrl?: VerifyUrlOptions;
  logger: Logger;
}

/** Allowlist first (cheap, local), then the URL; both must admit when both are configured. */
export function createAdmissionCheck(cfg: AdmissionConfig): AdmissionCheck | undefined {
  if (!cfg.allowList && !cfg.verifyUrl) return undefined;
  return async (req) => {
    if (cfg.allowList) {
      const list = await cfg.allowList.current();
      if (!list.keys.has(formatNodePublic(req.key))) return `not in the allowlist ${cfg.allowList.file}`;
    }
    if (cfg.verifyUrl) return verifyViaUrl(cfg.verifyUrl, req, cfg.logger);
    return null;
  };
}
