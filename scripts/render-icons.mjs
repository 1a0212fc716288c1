// Renders every icon from the two SVG sources in build/ with Chromium (playwright-core drives the system's
// Chromium; no download): the app icon at the sizes the installers want (build/icons/<n>x<n>.png for Linux,
// build/icon.png at 1024 for macOS and Windows, which electron-builder converts), and the tray icons for each
// relay state on light and dark taskbars at 1x and 2x (build/tray/tray-<state>-<light|dark>[@2x].png).
// The PNGs are committed; run this after changing an SVG: `node scripts/render-icons.mjs`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const build = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'build');
const APP_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const INK = { light: '#1f2933', dark: '#e6edf3' };
const STATES = {
  stopped: { fill: 'none', edge: (ink) => ink },
  running: { fill: '#2fb864', edge: () => '#2fb864' },
  failing: { fill: '#e5484d', edge: () => '#e5484d' },
};

function traySvg(taskbar, state) {
  const ink = INK[taskbar];
  return readFileSync(path.join(build, 'tray.svg'), 'utf8')
    .replaceAll('INK', ink)
    .replaceAll('STATE', STATES[state].fill)
    .replaceAll('EDGE', STATES[state].edge(ink));
}

async function render(page, svg, size) {
  await page.setViewportSize({ width: size, height: size });
  const sized = svg.replace('<svg ', `<svg width="${size}" height="${size}" `);
  await page.setContent(`<!doctype html><body style="margin:0;background:transparent">${sized}</body>`);
  return page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  const appSvg = readFileSync(path.join(build, 'icon.svg'), 'utf8');
  mkdirSync(path.join(build, 'icons'), { recursive: true });
  for (const size of APP_SIZES)
    writeFileSync(path.join(build, 'icons', `${size}x${size}.png`), await render(page, appSvg, size));
  writeFileSync(path.join(build, 'icon.png'), await render(page, appSvg, 1024));
  mkdirSync(path.join(build, 'tray'), { recursive: true });
  for (const taskbar of Object.keys(INK))
    for (const state of Object.keys(STATES)) {
      const svg = traySvg(taskbar, state);
      const name = `tray-${state}-${taskbar}`;
      writeFileSync(path.join(build, 'tray', `${name}.png`), await render(page, svg, 16));
      writeFileSync(path.join(build, 'tray', `${name}@2x.png`), await render(page, svg, 32));
    }
} finally {
  await browser.close();
}
