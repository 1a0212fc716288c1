/**
 * Who may use the relay: a node-key allowlist file (reloaded when it changes), the local tailscaled (derper's
 * -verify-clients) and derper's verify-client-url contract, which headscale serves at /verify. Mesh peers are never asked (the server checks that first).
 */
import { promises as fs } from 'node:fs';
import { formatNodePublic, parseNodePublic } from '../derp/keys.js';
import type { Logger } from '../util/log.js';
import { verifyViaTailscaled } from './local-tailscaled.js';
import type { AdmissionCheck, AdmissionRequest } from './server.js';
import { readTextFileBounded } from '../util/read-bounded.js';
import { MAX_TEXT_INPUT_BYTES } from '../../shared/limits.js';
import { causeMessage, errorMessage, isTimeoutError } from '../../shared/errors.js';
import { countOf } from '../../shared/words.js';

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
      problems.push(`line ${i + 1}: ${errorMessage(err)}`);
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
    /** Milliseconds since the epoch; tests pass a clock they move by hand. */
    private readonly now: () => number = Date.now,
  ) {}

  /** Loads the file; a missing or unreadable file is an error at start (a typo must not open the relay). */
  async load(): Promise<AllowListSnapshot> {
    const st = await fs.stat(this.file);
    await this.read(st.mtimeMs);
    return this.snapshot;
  }

  private async read(mtimeMs: number): Promise<void> {
    const next = parseAllowList(await readTextFileBounded(this.file, MAX_TEXT_INPUT_BYTES));
    this.mtimeMs = mtimeMs;
    this.snapshot = next;
    this.logger.info(
      `admission: allowlist ${this.file}: ${countOf(next.keys.size, 'key')}${next.problems.length ? `; ignored ${next.problems.join('; ')}` : ''}`,
    );
  }

  async current(): Promise<AllowListSnapshot> {
    const now = this.now();
    if (now - this.checkedAt >= 1000) {
      this.checkedAt = now;
      try {
        const st = await fs.stat(this.file);
        if (st.mtimeMs !== this.mtimeMs) await this.read(st.mtimeMs);
      } catch (err) {
        // Keep the last good list: a file being replaced must not let everyone in or lock everyone out.
        this.logger.warn(
          `admission: cannot re-read allowlist ${this.file} (${errorMessage(err)}); keeping the previous list`,
        );
      }
    }
    return this.snapshot;
  }
}

export interface VerifyUrlOptions {
  url: string;
  /**
   * derper's -verify-client-url-fail-open: admit when the URL cannot be reached (network errors only; any HTTP
   * answer is the controller's word).
   */
  failOpen: boolean;
  timeoutMs?: number;
}

/** derper decodes the answer through io.LimitReader(res.Body, 4<<10); more than this is not an admission answer. */
export const MAX_VERIFY_ANSWER_BYTES = 4 << 10;
/** Go's http.Client gives up after 10 redirects. */
export const MAX_VERIFY_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Go's http.Client re-sends a POST as a bodiless GET after these; 307 and 308 keep the method and body. */
const REDIRECT_TO_GET = new Set([301, 302, 303]);

type VerifyExchange =
  { kind: 'answer'; res: Response } | { kind: 'unreachable'; why: string } | { kind: 'refused'; why: string };

/**
 * POSTs to the controller and follows redirects as derper's Go client does (up to 10; 301/302/303 turn the POST
 * into a GET, whose answer a real controller refuses). Only failing to reach a server is 'unreachable': every HTTP
 * answer, a redirect loop included, is the controller's word.
 */
async function exchange(opts: VerifyUrlOptions, json: string, signal: AbortSignal): Promise<VerifyExchange> {
  let url = opts.url;
  let post = true;
  for (let hops = 0; ; hops++) {
    let res: Response;
    try {
      res = await fetch(url, {
        method: post ? 'POST' : 'GET',
        headers: post ? { 'Content-Type': 'application/json' } : {},
        body: post ? json : undefined,
        signal,
        redirect: 'manual',
      });
    } catch (err) {
      const why = isTimeoutError(err) ? 'timed out' : causeMessage(err);
      return { kind: 'unreachable', why };
    }
    if (!REDIRECT_STATUSES.has(res.status)) return { kind: 'answer', res };
    await res.body?.cancel();
    if (hops >= MAX_VERIFY_REDIRECTS)
      return { kind: 'refused', why: `admission controller redirected more than ${MAX_VERIFY_REDIRECTS} times` };
    const location = res.headers.get('location');
    let next: URL;
    try {
      next = new URL(location ?? '', url);
    } catch {
      return {
        kind: 'refused',
        why: `admission controller answered ${res.status} with an unusable Location "${location}"`,
      };
    }
    if (location === null || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
      return { kind: 'refused', why: `admission controller answered ${res.status} without an http(s) Location` };
    }
    if (REDIRECT_TO_GET.has(res.status)) post = false;
    url = next.href;
  }
}

/** Reads at most `max` bytes of the body, cancelling the rest; null when the body is longer. */
async function readCapped(res: Response, max: number): Promise<string | null> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** derper's admission-controller request: POST {"NodePublic","Source"}, admitted only on 200 with {"Allow":true}. */
export async function verifyViaUrl(
  opts: VerifyUrlOptions,
  req: AdmissionRequest,
  logger: Logger,
): Promise<string | null> {
  const key = formatNodePublic(req.key);
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 5000);
  const r = await exchange(opts, JSON.stringify({ NodePublic: key, Source: req.remoteAddress }), signal);
  if (r.kind === 'refused') return r.why;
  if (r.kind === 'unreachable') {
    if (opts.failOpen) {
      logger.warn(`admission: controller ${opts.url} unreachable (${r.why}); admitting ${key} (fail-open)`);
      return null;
    }
    return `admission controller unreachable (${r.why})`;
  }
  const res = r.res;
  if (res.status !== 200) {
    await res.body?.cancel();
    return `admission controller answered ${res.status} ${res.statusText}`;
  }
  let text: string | null;
  try {
    text = await readCapped(res, MAX_VERIFY_ANSWER_BYTES);
  } catch (err) {
    return `admission controller's answer could not be read (${isTimeoutError(err) ? 'timed out' : errorMessage(err)})`;
  }
  if (text === null)
    return `admission controller's answer is longer than ${MAX_VERIFY_ANSWER_BYTES} bytes; it should be {"Allow":true} or {"Allow":false}`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'admission controller answered with something that is not JSON';
  }
  return (body as { Allow?: unknown })?.Allow === true
    ? null
    : `admission controller: ${key}/${req.remoteAddress} not allowed`;
}

export interface AdmissionConfig {
  allowList?: AllowList;
  /** derper's -verify-clients: the local tailscaled's LocalAPI socket. */
  tailscaledSocket?: string;
  verifyUrl?: VerifyUrlOptions;
  logger: Logger;
}

/**
 * Allowlist first (cheap, local), then the local tailscaled, then the URL (derper's order for the last two);
 * every configured check must admit.
 */
export function createAdmissionCheck(cfg: AdmissionConfig): AdmissionCheck | undefined {
  if (!cfg.allowList && !cfg.verifyUrl && !cfg.tailscaledSocket) return undefined;
  const log = cfg.logger;
  const decide = async (req: AdmissionRequest): Promise<string | null> => {
    if (cfg.allowList) {
      const list = await cfg.allowList.current();
      if (!list.keys.has(formatNodePublic(req.key))) return `not in the allowlist ${cfg.allowList.file}`;
    }
    if (cfg.tailscaledSocket) {
      const refused = await verifyViaTailscaled(cfg.tailscaledSocket, req);
      if (refused !== null) return refused;
    }
    if (cfg.verifyUrl) return verifyViaUrl(cfg.verifyUrl, req, log);
    return null;
  };
  if (!log.debugEnabled) return decide;
  return async (req) => {
    const refused = await decide(req);
    log.debug(
      `admission: ${formatNodePublic(req.key)} from ${req.remoteAddress}: ${refused === null ? 'admitted' : `refused (${refused})`}`,
    );
    return refused;
  };
}
