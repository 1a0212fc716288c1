/**
 * The rules behind the relay notices, fed the API's event stream directly: which state changes are unexpected,
 * when a refusal starts a new burst, and what an already expired certificate says.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiEventEmitter } from '../../electron/app/events.js';
import { describeServedFile } from '../../electron/app/relay-certificate.js';
import { RelayNotices, type RelayNotice } from '../../electron/main/relay-notices.js';
import { silentLogger } from '../../electron/util/log.js';
import type { RelayState } from '../../shared/api.js';
import type { DeniedClient, RelayCertificate } from '../../shared/relay.js';
import { opensslCert } from '../helpers/openssl-cert.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-notices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RUNNING: RelayState = { status: 'running', endpoints: [], publicKey: 'nodekey:00', startedAt: 0 };

function setup(opts: { certificate?: () => Promise<RelayCertificate | null>; now?: () => number } = {}) {
  const events: ApiEventEmitter = new EventEmitter();
  const denied: DeniedClient[] = [];
  const got: RelayNotice[] = [];
  const notices = new RelayNotices({
    events,
    denied: () => denied,
    certificate: opts.certificate ?? (async () => null),
    notify: (n) => got.push(n),
    logger: silentLogger,
    now: opts.now,
    refusalQuietMs: 60_000,
  });
  const states = (...s: RelayState[]) => s.forEach((x) => events.emit('relay.state', x));
  const sample = () => events.emit('stats.sample', {} as never);
  return { events, denied, got, notices, states, sample };
}

describe('relay notices', () => {
  it('a stop nobody asked for is unexpected; a requested stop or a failed start for other reasons is not', () => {
    const t = setup();
    t.states({ status: 'starting' }, RUNNING, { status: 'stopping' }, { status: 'stopped' });
    t.states({ status: 'starting' }, { status: 'failed', error: 'cannot read TLS certificate /x: ENOENT' });
    expect(t.got).toEqual([]);
    t.states({ status: 'starting' }, RUNNING, { status: 'stopped' });
    expect(t.got.map((n) => [n.kind, n.page])).toEqual([['stopped-unexpectedly', 'relay']]);
    t.notices.dispose();
  });

  it('refusals within the quiet period are one burst; a refusal after it starts the next', () => {
    let now = 1_000_000;
    const t = setup({ now: () => now });
    const refuse = (at: number) =>
      t.denied.push({ key: `nodekey:${at}`, remoteAddress: '192.0.2.1', reason: 'not in the allowlist', at });
    refuse(now + 1);
    refuse(now + 2);
    t.sample();
    refuse(now + 30_000);
    t.sample();
    t.sample();
    expect(t.got.map((n) => n.body)).toEqual([
      `nodekey:${now + 1} from 192.0.2.1: not in the allowlist. Further refusals in this burst are on the relay page only.`,
    ]);
    now += 200_000;
    refuse(now);
    t.sample();
    expect(t.got).toHaveLength(2);
    t.notices.dispose();
  });

  it('says an expired certificate has expired, once per certificate', async () => {
    const cert = path.join(dir, 'old.crt');
    opensslCert({ certFile: cert, keyFile: path.join(dir, 'old.key'), days: 1, cn: 'old' });
    const t = setup({ certificate: () => describeServedFile(cert, 'manual'), now: () => Date.now() + 3 * 86_400_000 });
    t.states(RUNNING);
    await expect.poll(() => t.got.length).toBe(1);
    expect(t.got[0].body).toMatch(
      /^The relay's TLS certificate expired on \d{4}-\d\d-\d\d; clients refuse it\. Replace it and restart the relay\.$/,
    );
    t.states({ status: 'stopping' }, { status: 'stopped' }, RUNNING);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.got).toHaveLength(1);
    t.notices.dispose();
  });

  it("warns of a Let's Encrypt certificate that was not renewed, with the renewal's error", async () => {
    const now = Date.parse('2026-12-01T00:00:00Z');
    const t = setup({
      now: () => now,
      certificate: async () => ({
        mode: 'letsencrypt',
        status: 'failed',
        names: ['derp.example.com'],
        notAfter: '2026-12-11T12:00:00.000Z',
        lastError: 'acme: urn:ietf:params:acme:error:rateLimited',
      }),
    });
    t.states(RUNNING);
    await expect.poll(() => t.got.length).toBe(1);
    expect(t.got[0]).toMatchObject({
      kind: 'certificate-expiring',
      page: 'diagnostics',
      body: "The relay's Let's Encrypt certificate for derp.example.com expires in 10 days (2026-12-11). Let's Encrypt has not renewed it: acme: urn:ietf:params:acme:error:rateLimited.",
    });
    t.notices.dispose();
  });
});
