/** Diagnostics in Chromium: run checks against a live relay, watch results arrive, read the summary and history. */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGui, type GuiSession } from '../helpers/gui.js';
import { startRelay, type TestRelay } from '../helpers/relay.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';

let gui: GuiSession;
let page: Page;
let url: string;
let relay: TestRelay;

beforeAll(async () => {
  relay = await startRelay();
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
});

describe('diagnostics page in Chromium', () => {
  it('checks a relay by URL and shows results, summary, export and history', async () => {
    await page.goto(url);
    await page.getByRole('link', { name: 'Diagnostics' }).click();
    await page.getByLabel('Relay URL, map file or map URL').fill(`http://127.0.0.1:${relay.port}`);
    await page.getByRole('button', { name: 'Run checks' }).click();
    await expect
      .poll(() => page.getByTestId('diag-summary').textContent(), { timeout: 20_000 })
      .toContain('Nearest DERP (home)target (127.0.0.1)');
    expect(await page.getByTestId('diag-results').textContent()).toContain('127.0.0.1');
    await expect.poll(() => page.getByTestId('diag-export').textContent()).toContain('# derpdesk check:');
    expect(await page.getByTestId('diag-history').textContent()).toContain(`http://127.0.0.1:${relay.port}`);
    await gui.shot('diagnostics');
  });

  it('re-runs one node, compares two runs, and charts latency over time', async () => {
    await page.getByRole('button', { name: '127.0.0.1', exact: true }).click();
    await page.getByRole('button', { name: 'Re-run this node' }).click();
    await expect
      .poll(async () => await page.getByTestId('diag-history').locator('li').count(), { timeout: 20_000 })
      .toBe(2);
    await expect.poll(() => page.getByTestId('diag-summary').isVisible(), { timeout: 20_000 }).toBe(true);
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

  it('fits a 900x650 window: no sideways overflow, labels beside their controls', async () => {
    await page.setViewportSize({ width: 900, height: 650 });
    const m = await page.evaluate(() => {
      const box = (el: Element | Range | null) => el!.getBoundingClientRect();
      const check = document.querySelector('.run-form label.check')!;
      const text = document.createRange();
      text.selectNodeContents(check.lastChild!);
      const repeatLabel = box(document.querySelector('label[for="diag-every"]'));
      const repeat = box(document.getElementById('diag-every'));
      return {
        pageWidth: document.documentElement.scrollWidth,
        pageRight: box(document.querySelector('.diagnostics-page')).right,
        checkboxToLabel: box(text).left - box(check.querySelector('input')).right,
        repeatRowsApart: Math.abs(repeatLabel.top + repeatLabel.height / 2 - (repeat.top + repeat.height / 2)),
        repeatGap: repeat.left - repeatLabel.right,
      };
    });
    expect(m.pageWidth).toBeLessThanOrEqual(900);
    expect(m.pageRight).toBeLessThanOrEqual(900);
    expect(m.checkboxToLabel).toBeGreaterThanOrEqual(0);
    expect(m.checkboxToLabel).toBeLessThan(16);
    expect(m.repeatRowsApart).toBeLessThan(4);
    expect(m.repeatGap).toBeGreaterThanOrEqual(0);
    expect(m.repeatGap).toBeLessThan(16);
    await gui.shot('diagnostics-900x650');
    await page.setViewportSize({ width: 1500, height: 1000 });
  });

  it('checks the running relay from the dashboard with its real ports, and passes', async () => {
    await page.getByRole('link', { name: 'Relay' }).click();
    await page.getByRole('switch', { name: 'Relay' }).click();
    await expect.poll(() => page.getByTestId('relay-status').textContent(), { timeout: 15_000 }).toContain('Running');
    await page.getByRole('button', { name: 'Check this relay' }).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#diagnostics');
    await expect
      .poll(() => page.getByTestId('diag-history').locator('li').first().textContent(), { timeout: 20_000 })
      .toMatch(/this relay \(127\.0\.0\.1:\d+\) · 1 nodes · 0 failures · 0 warnings/);
    const summary = await page.getByTestId('diag-summary').textContent();
    expect(summary).toContain('UDPyes');
    expect(summary).toMatch(/IPv4yes, 127\.0\.0\.1:\d+/);
    expect(summary).toContain('Nearest DERP (home)desk (Desk relay)');
    expect(await page.getByTestId('diag-results').textContent()).toMatch(/✓ [\d.]+ ms/);
    await gui.shot('diagnostics-this-relay');
  });
});
