/**
 * The DERP map editor in Chromium against `derpdesk host`: open a headscale derp.yaml from disk, edit a node,
 * see validation as you type, preview the diff, save, and read the file back with its comments intact; add this relay,
 * renumber a region, Save as, the unsaved-edits prompt, and the derp section of a headscale config.yaml.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMap } from '../../electron/derpmap/formats.js';
import { openGui, type GuiSession } from '../helpers/gui.js';

const FIXTURE = path.resolve(import.meta.dirname, '../derpmap/fixtures/headscale-derp.yaml');
let gui: GuiSession;
let dir: string;
let page: Page;
let url: string;
/** The dialogs the page opened, by type, and how the next ones are answered. */
const dialogs: string[] = [];
let dialogAnswer: 'accept' | 'dismiss' = 'accept';

beforeAll(async () => {
  gui = await openGui({ prefix: 'map', viewport: { width: 1500, height: 1100 } });
  ({ page, url, dir } = gui);
  page.on('dialog', (d) => {
    dialogs.push(d.type());
    void (dialogAnswer === 'accept' ? d.accept() : d.dismiss());
  });
}, 30_000);
afterAll(() => gui?.close());

describe('DERP map editor in Chromium', () => {
  it('opens a derp.yaml, validates edits as you type, and saves only the change', async () => {
    const file = path.join(dir, 'derp.yaml');
    copyFileSync(FIXTURE, file);
    await page.goto(url);
    await page.getByRole('link', { name: 'DERP map' }).click();
    const missing = path.join(dir, 'no-such-derp.yaml');
    await page.getByLabel('File on the relay host').fill(missing);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('map-message').textContent())
      .toBe(`cannot read ${missing}: no such file or directory`);
    await page.getByLabel('File on the relay host').fill(file);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('map-issue-count').textContent(), { timeout: 10_000 })
      .toBe('0 errors, 3 warnings');

    await page.getByRole('button', { name: '900a', exact: true }).click();
    // Inputs in one row of the node form sit level whether or not a neighbour has a hint under it.
    const top = async (sel: string) => (await page.locator(sel).boundingBox())!.y;
    expect(await top('#node-HostName')).toBe(await top('#node-CertName'));
    const codeTop = await top('#region-RegionCode');
    await page.locator('#region-RegionCode').fill('');
    await expect
      .poll(() => page.locator('#region-RegionCode-issue').textContent())
      .toBe('region 900 has no RegionCode');
    expect(await top('#region-RegionCode')).toBe(codeTop);
    await page.locator('#region-RegionCode').fill('fra');
    const ipv4 = page.getByLabel('IPv4', { exact: true });
    await ipv4.fill('203.0.113.300');
    await expect
      .poll(() => page.getByTestId('map-field-issue').first().textContent())
      .toBe('node "900a": IPv4 "203.0.113.300" is not an IPv4 address (or "none")');
    await expect.poll(() => page.getByTestId('map-issue-count').textContent()).toBe('1 error, 3 warnings');
    await gui.shot('map-editor-error');
    // Error and warning badges differ only in colour: red and amber, the same box.
    const badge = (sel: string) =>
      page
        .locator(sel)
        .first()
        .evaluate((el) => {
          // Runs in the page; the test project has no DOM types.
          type Style = { color: string; padding: string; borderWidth: string; getPropertyValue(n: string): string };
          const w = globalThis as unknown as {
            getComputedStyle(e: unknown): Style;
            document: { documentElement: unknown };
          };
          const cs = w.getComputedStyle(el);
          const root = w.getComputedStyle(w.document.documentElement);
          return {
            color: cs.color,
            box: `${cs.padding} ${cs.borderWidth}`,
            err: root.getPropertyValue('--err').trim(),
            warn: root.getPropertyValue('--warn').trim(),
          };
        });
    const [err, warn] = [
      await badge('[data-testid="map-issues"] .badge-error'),
      await badge('[data-testid="map-issues"] .badge-warning'),
    ];
    const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
    expect([err.color, warn.color]).toEqual([rgb(err.err), rgb(warn.warn)]);
    expect(err.box).toBe(warn.box);
    await page.getByRole('button', { name: 'Save…' }).click();
    await expect
      .poll(() => page.getByTestId('map-save-blocked').textContent())
      .toBe('The map has 1 error; fix it before writing (see Validation).');
    expect(await page.getByRole('button', { name: 'Write file' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Cancel' }).click();
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
  }, 60_000);

  it('undoes and redoes edits, and reorders nodes', async () => {
    const duplicate = page.getByRole('button', { name: 'Duplicate 900a' });
    expect(await duplicate.locator('svg').count()).toBe(1);
    expect((await duplicate.boundingBox())!.width).toBeGreaterThan(10);
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

  it('saves the export as a file named after the opened map, in the format on show', async () => {
    const download = async (name: string) => {
      const [d] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: `Download as ${name}` }).click(),
      ]);
      expect(d.suggestedFilename()).toBe(name);
      return readFileSync(await d.path(), 'utf8');
    };
    expect(await download('derp.yaml')).toBe(await page.getByTestId('map-export').textContent());
    await page.getByRole('tab', { name: 'Tailscale JSON' }).click();
    await expect.poll(() => page.getByTestId('map-export').textContent()).toContain('"Regions"');
    const json = JSON.parse(await download('derp.json')) as { Regions: Record<string, { RegionCode: string }> };
    expect(json.Regions['900'].RegionCode).toBe('fra');
    await page.getByRole('tab', { name: 'headscale config' }).click();
    expect(await download('headscale-config-derp.yaml')).toContain('derp:\n  paths:\n');
    await page.getByRole('tab', { name: 'headscale derp.yaml' }).click();
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

  it("edits config.yaml's derp section and writes only that section", async () => {
    const cfg = path.join(dir, 'config.yaml');
    const before = readFileSync(cfg, 'utf8');
    await page.getByLabel('server.region_id', { exact: true }).fill('998');
    await page.getByLabel('update_frequency', { exact: true }).fill('daily');
    await expect
      .poll(() => page.locator('[id="hs-update_frequency-issue"]').textContent())
      .toBe('update_frequency "daily" is not a duration such as 24h, 1h30m or 90s');
    await expect
      .poll(() => page.getByTestId('hs-save-blocked').textContent())
      .toBe('The derp section has 1 problem; fix it first.');
    await page.getByLabel('update_frequency', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Preview derp changes' }).click();
    await expect
      .poll(() => page.getByTestId('hs-diff').textContent())
      .toContain('-    region_id: 999\n+    region_id: 998\n');
    await page.getByRole('button', { name: 'Write config.yaml' }).click();
    await expect
      .poll(() => page.getByTestId('map-message').textContent())
      .toContain(`Saved the derp section of ${cfg}`);
    expect(readFileSync(cfg, 'utf8')).toBe(before.replace('    region_id: 999\n', '    region_id: 998\n'));
  });

  it('adds this relay under a free region id, leaving the region with its id as it was', async () => {
    const file = await openCopy('derp-relay.yaml');
    await page.getByRole('button', { name: 'Add this relay' }).click();
    await expect
      .poll(() => page.getByTestId('map-message').textContent())
      .toBe(
        'Added this relay as region 902: region 900 (Frankfurt self-hosted) was already in the map and is unchanged',
      );
    await page.getByRole('button', { name: 'Replace region 900 instead' }).click();
    await expect
      .poll(() => page.getByTestId('map-message').textContent())
      .toBe('Replaced region 900 (Frankfurt self-hosted) with this relay; Undo brings it back');
    // The replaced region's comments ("# Frankfurt", "# primary") described it, not the relay.
    await page.getByRole('button', { name: 'Save…' }).click();
    await expect.poll(() => page.getByTestId('map-diff').textContent()).toMatch(/\+ +hostname: localhost/);
    const replaced = (await page.getByTestId('map-diff').textContent())!.split('\n');
    expect(replaced.filter((l) => /^[+ ]/.test(l) && /Frankfurt|# primary/.test(l))).toEqual([]);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => page.getByRole('button', { name: /^902 derpdesk/ }).count()).toBe(1);
    await page.getByRole('button', { name: 'Save…' }).click();
    await expect.poll(() => page.getByTestId('map-diff').textContent()).toContain('+  902:');
    // Adding a region re-renders the YAML: a removed line may come back only with its spacing changed.
    const diff = (await page.getByTestId('map-diff').textContent())!.split('\n');
    const squeeze = (l: string) => l.slice(1).replace(/\s+/g, ' ');
    const added = new Set(diff.filter((l) => /^\+[^+]/.test(l)).map(squeeze));
    expect(diff.filter((l) => /^-[^-]/.test(l) && !added.has(squeeze(l)))).toEqual([]);
    await page.getByRole('button', { name: 'Write file' }).click();
    await expect.poll(() => page.getByTestId('map-message').textContent()).toContain(`Saved ${file}`);
    const saved = parseMap(readFileSync(file, 'utf8'), file).map;
    expect(saved.Regions['900']).toEqual(parseMap(readFileSync(FIXTURE, 'utf8'), file).map.Regions['900']);
    expect(saved.Regions['902'].Nodes[0]).toMatchObject({ RegionID: 902, HostName: 'localhost' });
    expect(readFileSync(file, 'utf8')).toContain('regioncode: fra # Frankfurt');
  });

  it('renumbers a region with its nodes and comments, refusing an id already taken', async () => {
    const file = await openCopy('derp-renumber.yaml');
    const id = page.locator('#region-RegionID');
    await id.fill('901');
    await expect
      .poll(() => page.locator('#region-RegionID-issue').textContent())
      .toBe('region 901 (sfo) already exists; pick a free id such as 902');
    expect(await page.getByText('already exists; pick a free id').count()).toBe(1);
    // Typed key by key, as a user does: through 9 and 90 to 905, one undo step that keeps the region in the editor.
    await id.fill('');
    await id.pressSequentially('905');
    await expect.poll(() => page.getByRole('heading', { name: 'Region 905' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Region 900' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Redo' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Region 905' }).count()).toBe(1);
    await expect.poll(() => page.getByTestId('map-issue-count').textContent()).toBe('0 errors, 3 warnings');
    await page.getByRole('button', { name: 'Dismiss the single-node warning of region 901' }).click();
    await expect.poll(() => page.getByTestId('map-issue-count').textContent()).toBe('0 errors, 2 warnings');
    await page.getByRole('button', { name: 'Save…' }).click();
    await page.getByRole('button', { name: 'Write file' }).click();
    await expect.poll(() => page.getByTestId('map-message').textContent()).toContain(`Saved ${file}`);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('  905:\n    regionid: 905\n    regioncode: fra # Frankfurt\n');
    expect(text).toContain('      # primary\n      - name: 900a\n        regionid: 905\n');
    expect(text).not.toMatch(/^ {2}900:/m);
  });

  it('keeps apart two regions that claim one RegionID, each with its own errors, until renumbering fixes it', async () => {
    const file = path.join(dir, 'derp-clash.yaml');
    writeFileSync(
      file,
      readFileSync(FIXTURE, 'utf8').replace(
        '    regionid: 900\n    regioncode: fra',
        '    regionid: 901\n    regioncode: fra',
      ),
    );
    await page.getByLabel('File on the relay host').fill(file);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    const regions = page.getByRole('region', { name: 'Regions' });
    await expect.poll(() => regions.getByRole('button', { name: /^900 fra 2 nodes 3 errors/ }).count()).toBe(1);
    expect(await regions.getByRole('button', { name: /^901 sfo 1 node$/ }).count()).toBe(1);
    await regions.getByRole('button', { name: /^901 sfo/ }).click();
    await expect.poll(() => page.locator('#region-RegionCode').inputValue()).toBe('sfo');
    expect(await page.locator('#region-RegionID-issue').textContent()).toBe('renumbers the region; its nodes follow');
    await regions.getByRole('button', { name: /^900 fra/ }).click();
    await expect
      .poll(() => page.locator('#region-RegionID-issue').textContent())
      .toBe('RegionID 901 differs from its key 900 in Regions');
    await page.locator('#region-RegionID').fill('900');
    // Region 901's single-node warning stays dismissed from the test before.
    await expect.poll(() => page.getByTestId('map-issue-count').textContent()).toBe('0 errors, 2 warnings');
  });

  it('saves a new map with Save as, and asks before dropping unsaved edits (another map, a reload)', async () => {
    // The test before left an unsaved renumbering: New map asks, and goes ahead when the user agrees.
    dialogs.length = 0;
    await page.getByRole('button', { name: 'New map' }).click();
    await expect.poll(() => page.getByTestId('map-source').textContent()).toContain('0 regions');
    expect(dialogs).toEqual(['confirm']);
    await page.getByRole('button', { name: 'Add region' }).click();
    dialogAnswer = 'dismiss';
    await page.getByRole('button', { name: 'New map' }).click();
    await expect.poll(() => dialogs).toEqual(['confirm', 'confirm']);
    expect(await page.getByTestId('map-source').textContent()).toContain('1 region');
    await page.reload({ timeout: 3000 }).catch(() => undefined);
    expect(dialogs).toEqual(['confirm', 'confirm', 'beforeunload']);
    await expect.poll(() => page.getByTestId('map-source').textContent()).toContain('unsaved map');

    const file = path.join(dir, 'new-map.json');
    await page.getByRole('button', { name: 'Save as…' }).click();
    await page.getByLabel('Save as', { exact: true }).fill(file);
    expect(await page.getByRole('form', { name: 'Save the map as a new file' }).count()).toBe(1);
    expect(await page.locator('#map-save-format').inputValue()).toBe('json');
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    await expect.poll(() => page.getByTestId('map-diff').textContent()).toContain('+  "Regions": {');
    await page.getByRole('button', { name: 'Write file' }).click();
    await expect.poll(() => page.getByTestId('map-message').textContent()).toBe(`Saved ${file}`);
    expect(JSON.parse(readFileSync(file, 'utf8')).Regions['900'].RegionCode).toBe('region900');
    await expect.poll(() => page.getByTestId('map-source').textContent()).toContain(`${file} · JSON`);
    expect(await page.getByRole('form', { name: 'Save the map as a new file' }).count()).toBe(0);

    await page.reload();
    expect(dialogs).toEqual(['confirm', 'confirm', 'beforeunload']);
  });
});

/** Opens a fresh copy of the fixture in the editor. */
async function openCopy(name: string): Promise<string> {
  const file = path.join(dir, name);
  copyFileSync(FIXTURE, file);
  await page.getByLabel('File on the relay host').fill(file);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect.poll(() => page.getByTestId('map-source').textContent(), { timeout: 10_000 }).toContain(file);
  return file;
}
