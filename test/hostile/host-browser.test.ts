/**
 * `derpdesk host` against a real browser (Debian's Chromium): the page keeps the token out of every URL it
 * requests, another site's page cannot reach the bridge or crash the host, a DNS-rebound name is refused, and
 * --allow-remote's HTTPS works once the browser pins the printed certificate.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_CERT_DIR } from '../../electron/headless/tls.js';
import { openGui, type GuiSession } from '../helpers/gui.js';

const RESOLVE = '--host-resolver-rules=MAP evil.test 127.0.0.1, MAP rebind.test 127.0.0.1';

describe('derpdesk host in Chromium, over HTTP on loopback', () => {
  let gui: GuiSession;
  let evil: http.Server;
  let evilPort: number;
  let hostPort: number;

  beforeAll(async () => {
    gui = await openGui({ prefix: 'hostile', browserArgs: [RESOLVE] });
    hostPort = Number(new URL(gui.url).port);
    // Another web site the user happens to have open, trying what a page can do against the host.
    evil = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<!doctype html><script>
        const report = { opened: false, messages: [] };
        const ws = new WebSocket('ws://127.0.0.1:${hostPort}/api');
        ws.onopen = () => { report.opened = true; ws.send(JSON.stringify({ auth: 'guess' })); };
        ws.onmessage = (e) => report.messages.push(String(e.data));
        ws.onclose = (e) => { report.closed = e.code; };
        for (const p of ['/%', '/%zz', '/assets/%E0%A4%A']) new Image().src = 'http://127.0.0.1:${hostPort}' + p;
        fetch('http://127.0.0.1:${hostPort}/', { mode: 'no-cors' }).then(() => { report.fetched = true; }, () => { report.fetched = false; });
        window.report = report;
      </script>`);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
    evilPort = (evil.address() as AddressInfo).port;
  }, 30_000);
  afterAll(async () => {
    await gui?.close();
    await new Promise((r) => evil?.close(r));
  });

  it('sends the token only in the first WebSocket message, never in a URL, and drops it from the address bar', async () => {
    const page = await gui.browser.newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    const sockets: Array<{ url: string; sent: string[] }> = [];
    page.on('websocket', (ws) => {
      const s = { url: ws.url(), sent: [] as string[] };
      sockets.push(s);
      ws.on('framesent', (f) => s.sent.push(String(f.payload)));
    });
    await page.goto(gui.url);
    await expect.poll(() => page.getByTestId('relay-status').textContent(), { timeout: 10_000 }).toMatch(/Stopped/);
    const token = new URLSearchParams(new URL(gui.url).hash.slice(1)).get('token')!;
    expect(page.url()).not.toContain(token);
    expect(sockets.map((s) => s.url)).toEqual([`ws://127.0.0.1:${hostPort}/api`]);
    expect(JSON.parse(sockets[0].sent[0])).toEqual({ auth: token });
    expect(sockets[0].sent.slice(1).every((f) => !f.includes(token))).toBe(true);
    expect(requested.filter((u) => u.includes(token))).toEqual([]);
    await page.close();
  });

  it('shows the refused message after one attempt with a wrong token', async () => {
    const page = await gui.browser.newPage();
    let sockets = 0;
    page.on('websocket', () => sockets++);
    await page.goto(gui.url.replace(/#token=.*/, '#token=wrong'));
    await expect.poll(() => page.textContent('body'), { timeout: 10_000 }).toContain('refused this page');
    // Refused at the host's first 4001, not after a round of retries.
    expect(sockets).toBe(1);
    await page.close();
  });

  it("keeps another site's page off the bridge, and its malformed requests do not bring the host down", async () => {
    const page = await gui.browser.newPage();
    const handshakeErrors: string[] = [];
    page.on('websocket', (ws) => ws.on('socketerror', (e) => handshakeErrors.push(e)));
    await page.goto(`http://evil.test:${evilPort}/`);
    await expect
      .poll(() => page.evaluate(() => (globalThis as unknown as { report: { closed?: number } }).report.closed), {
        timeout: 10_000,
      })
      .toBeDefined();
    const report = await page.evaluate(() => (globalThis as unknown as { report: object }).report);
    expect(report).toMatchObject({ opened: false, messages: [] });
    // Refused by the host's Origin check, not by anything in the browser.
    expect(handshakeErrors.join('\n')).toContain('403');
    await page.close();
    expect((await fetch(`http://127.0.0.1:${hostPort}/`)).status).toBe(200);
  });

  it('refuses a page reached through a DNS-rebound name with 421', async () => {
    const page = await gui.browser.newPage();
    const res = await page.goto(`http://rebind.test:${hostPort}/`);
    expect(res?.status()).toBe(421);
    expect(await page.textContent('body')).toContain('--host-name rebind.test');
    await page.close();
  });
});

/** Chromium's switch for trusting exactly one key: base64 SHA-256 of the certificate's SubjectPublicKeyInfo. */
function spkiPin(dir: string): string[] {
  const certDir = path.join(dir, HOST_CERT_DIR);
  const crt = readdirSync(certDir).find((f) => f.endsWith('.crt'))!;
  const spki = new X509Certificate(readFileSync(path.join(certDir, crt))).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  return [`--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`];
}

describe('derpdesk host in Chromium, --allow-remote', () => {
  let gui: GuiSession;
  beforeAll(async () => {
    gui = await openGui({ prefix: 'hostile-tls', hostArgs: ['--allow-remote'], browserArgs: spkiPin });
  }, 30_000);
  afterAll(() => gui?.close());

  it('serves the GUI and the bridge over HTTPS with the pinned self-signed certificate', async () => {
    expect(gui.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/#token=/);
    const res = await gui.page.goto(gui.url);
    expect(res?.headers()['strict-transport-security']).toBe('max-age=31536000');
    await expect.poll(() => gui.page.getByTestId('relay-status').textContent(), { timeout: 10_000 }).toMatch(/Stopped/);
  });
});
