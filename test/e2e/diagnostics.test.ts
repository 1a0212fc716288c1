/** Diagnostics in Chromium: run checks against a live relay, watch results arrive, read the summary and history. */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGui, type GuiSession } from '../helpers/gui.js';
import { startRelay, type TestRelay } from '../helpers/relay.js';

let gui: GuiSession;
let page: Page;
let url: string;
let relay: TestRelay;

beforeAll(async () => {
  relay = await startRelay();
  gui = await openGui({ prefix: 'diag', viewport: { width: 1500, height: 1000 } });
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
      .toContain('Preferred region (home): 900');
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
});
