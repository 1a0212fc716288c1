/**
 * The GUI end to end, as a user on a server would use it: `derpdesk host` started from the built CLI, Debian's
 * Chromium opening the printed URL, the relay switched on, real DERP clients connecting over loopback, peers and
 * charts moving, the relay switched off. Screenshots land in test/artifacts/ for a person to look at.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DerpClient } from '../../electron/derp/client.js';
import { generateKeyPair } from '../../electron/derp/keys.js';
import { runChecks } from '../../electron/diagnostics/engine.js';
import type { DerpMap } from '../../shared/derpmap/model.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';
import { openGui, type GuiSession } from '../helpers/gui.js';

let gui: GuiSession;
let browser: Browser;
let page: Page;
let url: string;

beforeAll(async () => {
  gui = await openGui({
    prefix: 'relay',
    settings: {
      ...DEFAULT_SETTINGS,
      listenAddr: '127.0.0.1:0',
      stunListen: '127.0.0.1:0',
      hostName: 'derp.example.test',
      regionName: 'e2e relay',
    },
  });
  ({ browser, page, url } = gui);
}, 30_000);
afterAll(() => gui?.close());

const shot = (name: string) => gui.shot(name);

describe('relay dashboard in Chromium', () => {
  it('refuses to work without the access token and says where to find it', async () => {
    const bare = await browser.newPage();
    await bare.goto(url.replace(/#token=.*/, ''));
    await expect.poll(() => bare.textContent('body'), { timeout: 10_000 }).toMatch(/token/i);
    await bare.close();
  });

  it('starts the relay, shows real clients and live charts, and stops it', async () => {
    await page.goto(url);
    const status = page.getByTestId('relay-status');
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toMatch(/Stopped/);
    await shot('relay-stopped');

    // By keyboard: focus stays on the switch through the start, so a second press stops it again.
    const relaySwitch = page.getByRole('switch', { name: 'Relay' });
    await relaySwitch.focus();
    await page.keyboard.press('Space');
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toMatch(/Running on/);
    await expect.poll(() => relaySwitch.getAttribute('aria-busy'), { timeout: 5_000 }).toBeNull();
    expect(await relaySwitch.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    const derpUrl = /(http:\/\/\S+?\/derp)/
      .exec((await status.textContent()) ?? '')![1]
      .replace('localhost', '127.0.0.1');

    const clients = await Promise.all([0, 1, 2].map(() => DerpClient.connect({ url: derpUrl })));
    clients[0].notePreferred(true);
    let running = true;
    const traffic = (async () => {
      while (running) {
        for (let i = 0; i < 50; i++) clients[i % 3].send(clients[(i + 1) % 3].publicKey, Buffer.alloc(1200, i));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    await expect.poll(() => page.getByTestId('peers-count').textContent(), { timeout: 10_000 }).toMatch(/^3 peers?/);
    await expect.poll(() => page.getByTestId('peer-row').count(), { timeout: 5_000 }).toBe(3);
    const keyShown = clients[0].publicKey.toString('hex').slice(0, 8);
    await expect.poll(() => page.getByTestId('peers-table').textContent(), { timeout: 5_000 }).toContain(keyShown);
    await expect
      .poll(async () => /[1-9]/.test((await page.getByTestId('current-rate').textContent()) ?? ''), { timeout: 10_000 })
      .toBe(true);
    await page.waitForTimeout(2500);
    await shot('relay-running');

    // Charts: "out" is dashed so it shows over "in"; tick labels are whole, on one line and inside the chart;
    // clients are counted in whole numbers; nothing in them takes a tab stop.
    const charts = page.getByTestId('chart-throughput');
    const chartLook = () =>
      charts.evaluate((card) => {
        const panel = card.querySelector('[role="tabpanel"]')!;
        const ticks = [...panel.querySelectorAll('text.recharts-cartesian-axis-tick-value')];
        const svgBox = (el: (typeof ticks)[number]) => el.closest('svg')!.getBoundingClientRect();
        return {
          tabStops: [...panel.querySelectorAll('*')].filter(
            (el) => (el as unknown as { tabIndex: number }).tabIndex >= 0,
          ).length,
          dashed: [...panel.querySelectorAll('.recharts-line path.recharts-line-curve')].map(
            (el) => el.getAttribute('stroke-dasharray') ?? '',
          ),
          ticks: ticks.length,
          wrapped: ticks.filter((t) => t.querySelectorAll('tspan').length > 1).map((t) => t.textContent),
          outside: ticks
            .filter((t) => {
              const [b, svg] = [t.getBoundingClientRect(), svgBox(t)];
              return b.left < svg.left - 0.5 || b.right > svg.right + 0.5;
            })
            .map((t) => t.textContent),
          clientTicks: [
            ...panel.querySelectorAll(
              '[data-testid="chart-Clients and STUN"] .recharts-yAxis-tick-labels text.recharts-cartesian-axis-tick-value',
            ),
          ].map((t) => t.textContent),
        };
      });
    // The small window draws the charts narrower: the same rules hold there.
    await page.setViewportSize({ width: 900, height: 1000 });
    await page.waitForTimeout(300);
    const small = await chartLook();
    expect(small.ticks).toBeGreaterThan(10);
    expect({ wrapped: small.wrapped, outside: small.outside }, 'at 900 px').toEqual({ wrapped: [], outside: [] });
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.waitForTimeout(300);
    const look = await chartLook();
    expect(look.ticks).toBeGreaterThan(10);
    expect(look.tabStops).toBe(0);
    expect(look.dashed.filter((d) => d !== '').length).toBe(3); // the two "out" lines and STUN
    expect(look.wrapped).toEqual([]);
    expect(look.outside).toEqual([]);
    expect(look.clientTicks.length).toBeGreaterThan(1);
    for (const t of look.clientTicks) expect(t).toMatch(/^\d+$/);
    await charts.getByRole('tab', { name: '1 h' }).click();
    await expect.poll(() => charts.getByRole('heading').textContent(), { timeout: 5_000 }).toBe('Last hour');
    await expect
      .poll(() => charts.locator('.recharts-line path.recharts-line-curve').count(), { timeout: 5_000 })
      .toBe(7);
    await shot('relay-charts-hour');
    await charts.getByRole('tab', { name: '5 min' }).click();

    // Every column fits, whole, at both widths: no header cut, no horizontal scrolling.
    for (const width of [1400, 900]) {
      await page.setViewportSize({ width, height: 1000 });
      const fit = await page.getByTestId('peers-table').evaluate((table) => ({
        overflow: table.scrollWidth - table.clientWidth,
        cut: [...table.querySelectorAll('[role="columnheader"] button, [role="row"] > [role="cell"]')]
          .filter((el) => el.scrollWidth > el.clientWidth + 1 && !el.classList.contains('keycell'))
          .map((el) => el.textContent),
      }));
      expect(fit, `at ${width} px`).toEqual({ overflow: 0, cut: [] });
      await shot(`relay-peers-${width}`);
    }
    await page.setViewportSize({ width: 1400, height: 1000 });

    // Drops are charged to the peer that sent to a key nobody has, and its detail row says why; the row opens
    // and closes from the keyboard.
    const nobody = generateKeyPair().publicKey;
    for (let i = 0; i < 10; i++) clients[0].send(nobody, Buffer.alloc(100));
    const row0 = page.locator(`[data-testid="peer-row"]:has(code[title$="${clients[0].publicKey.toString('hex')}"])`);
    await expect.poll(() => row0.getByRole('cell').nth(4).textContent(), { timeout: 10_000 }).toBe('10');
    const expander = row0.getByTestId('peer-expand');
    await expander.focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => row0.getByTestId('peer-detail').textContent(), { timeout: 5_000 })
      .toContain('10 to an unknown destination');
    expect(await expander.getAttribute('aria-expanded')).toBe('true');
    await shot('relay-peer-detail');
    // The detail row shows all of itself, without a scroll box of its own and without running into the row below,
    // in a wide and a small window (its text wraps differently).
    for (const width of [1400, 900]) {
      await page.setViewportSize({ width, height: 1000 });
      await page.waitForTimeout(300);
      const layout = await row0.evaluate((row) => {
        const detail = row.querySelector('[data-testid="peer-detail"]')!;
        const r = row.getBoundingClientRect();
        const below = [...row.parentElement!.children]
          .filter((el) => el !== row && el.getBoundingClientRect().top > r.top)
          .map((el) => el.getBoundingClientRect().top);
        return {
          scrolls: detail.scrollHeight > detail.clientHeight,
          detailBottom: detail.getBoundingClientRect().bottom,
          rowBottom: r.bottom,
          nextTop: Math.min(row.parentElement!.getBoundingClientRect().bottom, ...below),
        };
      });
      expect(layout.scrolls, `at ${width} px`).toBe(false);
      expect(layout.detailBottom, `at ${width} px`).toBeLessThanOrEqual(layout.rowBottom + 0.5);
      expect(layout.nextTop, `at ${width} px`).toBeGreaterThanOrEqual(layout.rowBottom - 0.5);
      await shot(`relay-peer-detail-${width}`);
    }
    await page.setViewportSize({ width: 1400, height: 1000 });
    await expander.focus();
    await page.keyboard.press('Space');
    await expect.poll(() => row0.getByTestId('peer-detail').count(), { timeout: 5_000 }).toBe(0);

    running = false;
    await traffic;
    await relaySwitch.focus();
    await page.keyboard.press('Space');
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toMatch(/Stopped/);
    expect(await relaySwitch.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await expect.poll(() => page.getByTestId('peers-count').textContent(), { timeout: 5_000 }).toMatch(/^0 peers/);
    for (const c of clients) await expect.poll(() => c.isClosed, { timeout: 5_000 }).toBe(true);
  }, 120_000);

  it('lays out each settings checkbox with its label beside the box and its hint under the label', async () => {
    await page.goto(url);
    const boxes = page.locator('.settings .field.checkbox');
    await expect.poll(() => boxes.count(), { timeout: 5_000 }).toBeGreaterThan(1);
    for (const field of await boxes.all()) {
      const box = (await field.locator('input[type="checkbox"]').boundingBox())!;
      const label = (await field.locator('label').boundingBox())!;
      const name = await field.locator('label').textContent();
      expect(label.x, `${name}: label right of its box`).toBeGreaterThan(box.x + box.width);
      expect(
        Math.abs(label.y + label.height / 2 - (box.y + box.height / 2)),
        `${name}: on the box's line`,
      ).toBeLessThan(label.height);
      const hint = field.locator('.hint');
      if ((await hint.count()) === 0) continue;
      const h = (await hint.boundingBox())!;
      expect(h.y, `${name}: hint under the label`).toBeGreaterThanOrEqual(label.y + label.height - 1);
      expect(Math.abs(h.x - label.x), `${name}: hint aligned with the label`).toBeLessThan(2);
    }
  });

  it('shows the DERP map entry for this relay', async () => {
    await expect
      .poll(() => page.getByTestId('map-entry').textContent(), { timeout: 5_000 })
      .toContain('derp.example.test');
  });

  it('makes the map entry usable for real clients in one click, and the entry then passes our own check', async () => {
    const problems = page.getByTestId('entry-problems');
    await expect.poll(() => problems.textContent(), { timeout: 5_000 }).toContain('TLS is off');
    // Said plainly at the top, in the first screenful of a small window too, with a way down to the fix.
    const notice = page.getByTestId('entry-notice');
    for (const width of [1400, 900]) {
      await page.setViewportSize({ width, height: 650 });
      await page.evaluate('window.scrollTo(0, 0)');
      const box = (await notice.boundingBox())!;
      expect(box.y + box.height, `at ${width} px`).toBeLessThan(650);
    }
    await notice.getByRole('button', { name: 'Show what to change' }).click();
    expect(await problems.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await page.setViewportSize({ width: 1400, height: 1000 });
    const proposed = await page.getByTestId('entry-fix').textContent();
    expect(proposed).toContain('self-signed');
    await page.getByRole('button', { name: 'Apply these settings' }).click();
    await expect
      .poll(() => page.getByTestId('entry-fix-applied').textContent(), { timeout: 10_000 })
      .toBe('Applied. Start the relay to serve the new entry.');
    const status = page.getByTestId('relay-status');
    await page.getByRole('switch', { name: 'Relay' }).click();
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toMatch(/Running on https:/);
    await expect.poll(() => problems.count(), { timeout: 10_000 }).toBe(0);
    expect(await notice.count()).toBe(0);
    await page.getByRole('tab', { name: 'Tailscale JSON' }).click();
    const entry = page.getByTestId('map-entry');
    await expect.poll(() => entry.textContent(), { timeout: 5_000 }).toContain('sha256-raw:');
    await shot('relay-entry-usable');
    const report = await runChecks(JSON.parse((await entry.textContent())!) as DerpMap, { timeoutMs: 5_000 });
    const steps = report.nodes[0].steps;
    expect(steps.filter((st) => st.status === 'fail')).toEqual([]);
    expect(steps.filter((st) => st.status === 'ok').map((st) => st.step)).toEqual(
      expect.arrayContaining(['tls', 'derp', 'derp-roundtrip']),
    );
    await page.getByRole('switch', { name: 'Relay' }).click();
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toMatch(/Stopped/);
  }, 60_000);

  it('navigates between pages: each link shows its page, marks itself current and sets the hash; back and forward work', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    const pages = [
      {
        link: 'DERP map',
        hash: '#map',
        file: 'derp-map',
        shows: page.getByRole('region', { name: 'Open a DERP map' }),
      },
      {
        link: 'Diagnostics',
        hash: '#diagnostics',
        file: 'diagnostics',
        shows: page.getByRole('heading', { name: 'Diagnostics', exact: true }),
      },
      {
        link: 'Relay',
        hash: '#relay',
        file: 'relay-final',
        shows: page.getByRole('heading', { name: 'Relay', exact: true }),
      },
    ];
    const expectOn = async (i: number) => {
      await expect.poll(() => new URL(page.url()).hash, { timeout: 5_000 }).toBe(pages[i].hash);
      await expect.poll(() => pages[i].shows.count(), { timeout: 5_000 }).toBe(1);
      for (const [j, p] of pages.entries()) {
        const link = nav.getByRole('link', { name: p.link, exact: true });
        expect(await link.getAttribute('aria-current')).toBe(i === j ? 'page' : null);
        if (j !== i) expect(await p.shows.count()).toBe(0);
      }
    };
    for (const [i, p] of pages.entries()) {
      await nav.getByRole('link', { name: p.link, exact: true }).click();
      await expectOn(i);
      await shot(p.file);
    }
    await page.goBack();
    await expectOn(1);
    await page.goBack();
    await expectOn(0);
    await page.goForward();
    await expectOn(1);
  });
});
