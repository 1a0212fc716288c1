/** Diagnostics in Chromium: run checks against a live relay, watch results arrive, read the summary and history. */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startCli, waitExit } from '../helpers/cli.js';
import { startRelay, type TestRelay } from '../helpers/relay.js';

const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');
let dir: string;
let host: ChildProcess;
let browser: Browser;
let page: Page;
let url: string;
let relay: TestRelay;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-e2e-diag-'));
  relay = await startRelay();
  const started = await startCli(['host', '--listen', '127.0.0.1:0', '--data-dir', dir], /open (http:\/\/\S+)/);
  host = started.child;
  url = started.match[1];
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
}, 30_000);
afterAll(async () => {
  await browser?.close();
  host?.kill('SIGTERM');
  if (host) await waitExit(host);
  await relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('diagnostics page in Chromium', () => {
  it('checks a relay by URL and shows results, summary, export and history', async () => {
    await page.goto(url);
    await page.getByRole('link', { name: 'Diagnostics' }).click();
    await page.getByLabel('Relay URL, map file or map URL').fill(`http://127.0.0.1:${relay.port}`);
    await page.getByRole('button', { name: 'Run checks' }).click();
    await expect.poll(() => page.getByTestId('diag-summary').textContent(), { timeout: 20_000 }).toContain('Preferred region (home): 900');
    expect(await page.getByTestId('diag-results').textContent()).toContain('127.0.0.1');
    await expect.poll(() => page.getByTestId('diag-export').textContent()).toContain('# derpdesk check:');
    expect(await page.getByTestId('diag-history').textContent()).toContain(`http://127.0.0.1:${relay.port}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'diagnostics.png'), fullPage: true });
  });

  it('re-runs one node, compares two runs, and charts latency over time', async () => {
    await page.getByRole('button', { name: '127.0.0.1', exact: true }).click();
    await page.getByRole('button', { name: 'Re-run this node' }).click();
    await expect.poll(async () => (await page.getByTestId('diag-history').locator('li').count()), { timeout: 20_000 }).toBe(2);
    await expect.poll(() => page.getByTestId('diag-summary').isVisible(), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => page.getByTestId('diag-latency-chart').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'compare with shown run' }).click();
    await expect.poll(() => page.getByTestId('diag-compare').textContent()).toMatch(/Changes since|No step changed status/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'diagnostics-history.png'), fullPage: true });
  });
});
