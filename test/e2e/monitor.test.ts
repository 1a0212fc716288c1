/**
 * The Monitor page in Chromium against `derpdesk host`: monitor a map URL of two TLS relays, see both nodes with
 * their strips, stop one relay and get the in-page notice and the failing node on top (nothing axe-core finds
 * serious), then one click to its diagnostics, from a second page that did not start the monitor.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateSelfSigned } from '../../electron/relay/selfsigned.js';
import type { DerpMap } from '../../shared/derpmap/model.js';
import { openGui, type GuiSession } from '../helpers/gui.js';
import { startRelay, type TestRelay } from '../helpers/relay.js';

const AXE = readFileSync(path.resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical findings on the page as it is, one line each. */
async function seriousAxeFindings(p: Page): Promise<string[]> {
  // Evaluated rather than added as a <script>: the page's CSP refuses inline scripts.
  await p.evaluate(AXE);
  return p.evaluate(`(async () => {
    const r = await window.axe.run(document);
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) => v.nodes.map((n) => v.id + ' at ' + n.target.join(' ') + ': ' + v.help));
  })()`);
}

let gui: GuiSession;
let page: Page;
let url: string;
let relays: TestRelay[];
let mapServer: http.Server;
let mapUrl: string;

beforeAll(async () => {
  gui = await openGui({ prefix: 'monitor', viewport: { width: 1400, height: 1100 } });
  ({ page, url } = gui);
  const cert = await loadOrCreateSelfSigned(path.join(gui.dir, 'test-certs'), '127.0.0.1');
  relays = [
    await startRelay({ tls: { certFile: cert.certFile, keyFile: cert.keyFile } }),
    await startRelay({ tls: { certFile: cert.certFile, keyFile: cert.keyFile } }),
  ];
  const map: DerpMap = {
    Regions: Object.fromEntries(
      relays.map((r, i) => [
        String(910 + i),
        {
          RegionID: 910 + i,
          RegionCode: `r${i}`,
          RegionName: `relay ${i}`,
          Nodes: [
            {
              Name: `n${i}`,
              RegionID: 910 + i,
              HostName: '127.0.0.1',
              DERPPort: r.port,
              STUNPort: -1,
              CertName: cert.certName,
            },
          ],
        },
      ]),
    ),
  };
  mapServer = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(map));
  });
  await new Promise<void>((r) => mapServer.listen(0, '127.0.0.1', r));
  mapUrl = `http://127.0.0.1:${(mapServer.address() as AddressInfo).port}/derpmap.json`;
}, 40_000);
afterAll(async () => {
  await gui?.close();
  await Promise.all((relays ?? []).map((r) => r.stop().catch(() => {})));
  mapServer?.close();
});

describe('monitor page in Chromium', () => {
  it('monitors a map, notices a relay that stops, and opens its diagnostics in one click', async () => {
    await page.goto(url);
    await page.getByRole('link', { name: 'Monitor' }).click();
    await page.getByLabel('Monitor', { exact: true }).selectOption('url');
    await page.getByLabel('Relay URL, map file or map URL').fill(mapUrl);
    await page.getByLabel('Probe every').fill('2');
    await page.getByRole('button', { name: 'Start monitoring' }).click();
    await expect
      .poll(() => page.getByTestId('monitor-state').textContent(), { timeout: 20_000 })
      .toBe(`Monitoring ${mapUrl}`);
    await expect
      .poll(() => page.getByTestId('monitor-node').locator('.status.ok').count(), { timeout: 20_000 })
      .toBe(2);
    expect(await page.getByTestId('monitor-failing').textContent()).toContain('No node is failing.');
    await expect.poll(() => page.locator('.strip .slot.up').count(), { timeout: 20_000 }).toBeGreaterThan(0);

    await relays[1].stop();
    await expect
      .poll(() => page.getByTestId('monitor-notice').first().textContent(), { timeout: 20_000 })
      .toContain('DERP node r1/n1 is failing');
    const failing = page.getByTestId('monitor-failing');
    // The notice comes first; the snapshot that lists the node follows within a second.
    await expect.poll(() => failing.textContent(), { timeout: 10_000 }).toContain('Failing now (1)');
    // Its probes fail one by one as their intervals come round; the TLS probe is among them within two intervals.
    await expect.poll(() => failing.textContent(), { timeout: 10_000 }).toContain('derp/r1/n1/tls');
    expect(await page.getByTestId('monitor-node').first().textContent()).toContain('r1/n1');
    await gui.shot('monitor');
    expect(await seriousAxeFindings(page)).toEqual([]);

    // Another browser on the same host (or this one reloaded) did not start the monitor: it shows what runs, and
    // its Diagnose runs the same node of the same map.
    const other = await gui.browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await other.goto(url);
    await other.getByRole('link', { name: 'Monitor' }).click();
    await expect.poll(() => other.getByLabel('Relay URL, map file or map URL').inputValue()).toBe(mapUrl);
    await other.getByRole('button', { name: 'Diagnose n1' }).click();
    await expect.poll(() => other.url()).toMatch(/#diagnostics$/);
    await expect.poll(() => other.getByTestId('diag-results').textContent(), { timeout: 20_000 }).toContain('n1');
  }, 90_000);
});
