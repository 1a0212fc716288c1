/**
 * The DERP map editor in Chromium against `derpdesk host`: open a headscale derp.yaml from disk, edit a node,
 * see validation as you type, preview the diff, save, and read the file back with its comments intact.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGui, type GuiSession } from '../helpers/gui.js';

const FIXTURE = path.resolve(import.meta.dirname, '../derpmap/fixtures/headscale-derp.yaml');
let gui: GuiSession;
let dir: string;
let page: Page;
let url: string;

beforeAll(async () => {
  gui = await openGui({ prefix: 'map', viewport: { width: 1500, height: 1100 } });
  ({ page, url, dir } = gui);
}, 30_000);
afterAll(() => gui?.close());

describe('DERP map editor in Chromium', () => {
  it('opens a derp.yaml, validates edits as you type, and saves only the change', async () => {
    const file = path.join(dir, 'derp.yaml');
    copyFileSync(FIXTURE, file);
    await page.goto(url);
    await page.getByRole('link', { name: 'DERP map' }).click();
    await page.getByLabel('File on the relay host').fill(file);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('map-issue-count').textContent(), { timeout: 10_000 })
      .toBe('0 errors, 3 warnings');

    await page.getByRole('button', { name: '900a', exact: true }).click();
    const ipv4 = page.getByLabel('IPv4', { exact: true });
    await ipv4.fill('203.0.113.300');
    await expect
      .poll(() => page.getByTestId('map-field-issue').first().textContent())
      .toBe('node "900a": IPv4 "203.0.113.300" is not an IPv4 address (or "none")');
    await expect.poll(() => page.getByTestId('map-issue-count').textContent()).toBe('1 errors, 3 warnings');
    await gui.shot('map-editor-error');
    await ipv4.fill('203.0.113.30');
    await expect.poll(() => page.getByTestId('map-issue-count').textContent()).toBe('0 errors, 3 warnings');

    await page.getByRole('button', { name: 'Save…' }).click();
    await expect
      .poll(() => page.getByTestId('map-diff').textContent())
      .toContain('-        ipv4: 203.0.113.10\n+        ipv4: 203.0.113.30');
    await gui.shot('map-editor-diff');
    await page.getByRole('button', { name: 'Write file' }).click();
    await expect.poll(() => page.getByTestId('map-message').textContent()).toContain(`Saved ${file}`);

    const saved = readFileSync(file, 'utf8');
    const before = readFileSync(FIXTURE, 'utf8');
    expect(saved.split('\n').filter((l, i) => l !== before.split('\n')[i])).toEqual(['        ipv4: 203.0.113.30']);
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(before);
  });

  it('undoes and redoes edits, and reorders nodes', async () => {
    await page.getByRole('button', { name: 'Move 900b up' }).click();
    await expect
      .poll(async () => (await page.getByTestId('map-nodes').locator('tbody tr').first().textContent()) ?? '')
      .toContain('900b');
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect
      .poll(async () => (await page.getByTestId('map-nodes').locator('tbody tr').first().textContent()) ?? '')
      .toContain('900a');
    await page.getByRole('button', { name: 'Redo' }).click();
    await expect
      .poll(async () => (await page.getByTestId('map-nodes').locator('tbody tr').first().textContent()) ?? '')
      .toContain('900b');
    await expect.poll(() => page.getByTestId('map-export').textContent()).toMatch(/- name: 900b[\s\S]*- name: 900a/);
    await gui.shot('map-editor');
  });

  it('shows the map a headscale server serves, merged from its config.yaml', async () => {
    const cfg = path.join(dir, 'config.yaml');
    copyFileSync(FIXTURE, path.join(dir, 'derp-hs.yaml'));
    writeFileSync(
      cfg,
      'server_url: https://hs.example.com:8443\nderp:\n  server:\n    enabled: true\n    region_id: 999\n    stun_listen_addr: "0.0.0.0:3478"\n  paths:\n    - derp-hs.yaml\n',
    );
    await page.getByLabel('headscale config.yaml').fill(cfg);
    await page.getByRole('button', { name: 'Show merged map' }).click();
    await expect
      .poll(() => page.getByTestId('map-origins').textContent(), { timeout: 10_000 })
      .toContain('region 999: headscale embedded DERP server');
    await page.getByRole('tab', { name: 'headscale config' }).click();
    await expect.poll(() => page.getByTestId('map-export').textContent()).toContain('derp:\n  paths:\n');
    await gui.shot('map-editor-headscale');
  });
});
