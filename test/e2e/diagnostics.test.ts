/** Diagnostics in Chromium: run checks against a live relay, watch results arrive, read the summary and history. */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGui, type GuiSession } from '../helpers/gui.js';
import { startRelay, type TestRelay } from '../helpers/relay.js';
import { StunServer } from '../../electron/stun/server.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';

let gui: GuiSession;
let page: Page;
let url: string;
let relay: TestRelay;
// The relay's STUN server on a port of its own, as `derpdesk relay -stun-port` would put it: not 3478.
let stun: StunServer;

beforeAll(async () => {
  relay = await startRelay();
  stun = new StunServer();
  await stun.start([{ host: '127.0.0.1', port: 0 }]);
  gui = await openGui({
    prefix: 'diag',
    viewport: { width: 1500, height: 1000 },
    // The embedded relay on ports of its own choosing: "Check this relay" must find them, not assume 443 and 3478.
    settings: {
      ...DEFAULT_SETTINGS,
      listenAddr: '127.0.0.1:0',
      stunListen: '127.0.0.1:0',
      hostName: '127.0.0.1',
      regionId: 950,
      regionCode: 'desk',
      regionName: 'Desk relay',
    },
  });
  ({ page, url } = gui);
}, 30_000);
afterAll(async () => {
  await gui?.close();
  await relay?.stop();
  await stun?.stop();
});

// Generous bounds: a run takes seconds alone and much longer on a loaded machine.
describe('diagnostics page in Chromium', { timeout: 90_000 }, () => {
  it('checks a relay by URL with its STUN port and a bandwidth test, and shows results, summary, export and history', async () => {
    await page.goto(url);
    await page.getByRole('link', { name: 'Diagnostics' }).click();
    await page.getByLabel('Relay URL, map file or map URL').fill(`http://127.0.0.1:${relay.port}`);
    await page.getByLabel('STUN port').fill(String(stun.addresses()[0].port));
    await page.getByRole('checkbox', { name: /bandwidth test/ }).check();
    await page.getByRole('button', { name: 'Run checks' }).click();
    await expect
      .poll(() => page.getByTestId('diag-summary').textContent(), { timeout: 45_000 })
      .toContain('Nearest DERP (home)target (127.0.0.1)');
    expect(await page.getByTestId('diag-results').textContent()).toContain('127.0.0.1');
    // The bandwidth test's result, with its unit, in the grid and in the summary.
    expect(await page.locator('[data-testid="diag-results"] td[data-step="bandwidth"]').textContent()).toMatch(
      /^✓ [\d.]+ MB\/s$/,
    );
    expect(await page.getByTestId('diag-bandwidth').textContent()).toMatch(/^target\/127\.0\.0\.1: [\d.]+ MB\/s$/);
    expect(await page.getByTestId('diag-summary').textContent()).toContain('UDPyes');
    await expect.poll(() => page.getByTestId('diag-export').textContent()).toContain('# derpdesk check:');
    // STUN was asked on the port given in the form.
    await page.getByRole('tab', { name: 'JSON' }).click();
    await expect
      .poll(() => page.getByTestId('diag-export').textContent())
      .toContain(`"server": "127.0.0.1:${stun.addresses()[0].port}"`);
    await page.getByRole('tab', { name: 'Markdown' }).click();
    expect(await page.getByTestId('diag-history').textContent()).toContain(`http://127.0.0.1:${relay.port}`);
    await gui.shot('diagnostics');
  });

  it('re-runs one node, compares two runs, and charts latency over time', async () => {
    await page.getByRole('button', { name: '127.0.0.1', exact: true }).click();
    await page.getByRole('button', { name: 'Re-run this node' }).click();
    await expect
      .poll(async () => await page.getByTestId('diag-history').locator('li').count(), { timeout: 45_000 })
      .toBe(2);
    await expect.poll(() => page.getByTestId('diag-summary').isVisible(), { timeout: 45_000 }).toBe(true);
    await expect.poll(() => page.getByTestId('diag-latency-chart').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'compare with shown run' }).click();
    await expect
      .poll(() => page.getByTestId('diag-compare').textContent())
      .toMatch(/Changes since|No step changed status/);
    await gui.shot('diagnostics-history');
  });

  it('saves the export as a file named for the run', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: /^Download as derpdesk-check-/ }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^derpdesk-check-\d{4}-\d\d-\d\dT\d{4}\.md$/);
    const file = await download.path();
    expect(readFileSync(file, 'utf8')).toContain('# derpdesk check:');
  });

  it('fits a 900x650 window: no sideways overflow, every result in view, labels beside their controls', async () => {
    await page.setViewportSize({ width: 900, height: 650 });
    const box = async (selector: string) => (await page.locator(selector).boundingBox())!;
    const checkbox = await box('.run-form label.check input');
    const checkboxText = await box('.run-form label.check span');
    const repeatLabel = await box('label[for="diag-every"]');
    const repeat = await box('#diag-every');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(900);
    const pageBox = await box('.diagnostics-page');
    expect(pageBox.x + pageBox.width).toBeLessThanOrEqual(900);
    const checkboxToLabel = checkboxText.x - (checkbox.x + checkbox.width);
    expect(checkboxToLabel).toBeGreaterThanOrEqual(0);
    expect(checkboxToLabel).toBeLessThan(16);
    const middle = (b: { y: number; height: number }) => b.y + b.height / 2;
    expect(Math.abs(middle(repeatLabel) - middle(repeat))).toBeLessThan(4);
    const repeatGap = repeat.x - (repeatLabel.x + repeatLabel.width);
    expect(repeatGap).toBeGreaterThanOrEqual(0);
    expect(repeatGap).toBeLessThan(16);
    // Every result is on show: none hides past the card's edge behind a sideways scroll.
    const results = await box('.results-card');
    const rightmostCell = await page.evaluate(
      `Math.max(...[...document.querySelectorAll('[data-testid="diag-results"] td')].map((td) => td.getBoundingClientRect().right))`,
    );
    expect(rightmostCell).toBeLessThanOrEqual(results.x + results.width);
    await gui.shot('diagnostics-900x650');
    await page.setViewportSize({ width: 1500, height: 1000 });
  });

  it('checks the running relay from the dashboard with its real ports, and passes', async () => {
    await page.getByRole('link', { name: 'Relay' }).click();
    await page.getByRole('switch', { name: 'Relay' }).click();
    await expect.poll(() => page.getByTestId('relay-status').textContent(), { timeout: 30_000 }).toContain('Running');
    await page.getByRole('button', { name: 'Check this relay' }).click();
    await expect.poll(() => new URL(page.url()).hash).toBe('#diagnostics');
    await expect
      .poll(() => page.getByTestId('diag-history').locator('li').first().textContent(), { timeout: 45_000 })
      .toMatch(/this relay \(127\.0\.0\.1:\d+\) · 1 node · 0 failures/);
    const summary = await page.getByTestId('diag-summary').textContent();
    expect(summary).toContain('UDPyes');
    expect(summary).toMatch(/IPv4yes, 127\.0\.0\.1:\d+/);
    expect(summary).toContain('Nearest DERP (home)desk (Desk relay)');
    expect(await page.getByTestId('diag-results').textContent()).toMatch(/✓ [\d.]+ ms/);
    // Like with like: the earlier runs checked another target, so none is offered for comparison with this one, and
    // the latency chart keeps this relay and the other one as separate lines.
    expect(await page.getByRole('button', { name: 'compare with shown run' }).count()).toBe(0);
    const legend = await page.getByTestId('diag-latency-chart').locator('.recharts-legend-item').allTextContents();
    expect(legend).toEqual(
      expect.arrayContaining([
        `target (127.0.0.1) · http://127.0.0.1:${relay.port}`,
        expect.stringMatching(/^desk \(Desk relay\) · this relay \(127\.0\.0\.1:\d+\)$/),
      ]),
    );
    await gui.shot('diagnostics-this-relay');
  });
});
