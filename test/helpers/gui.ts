/** An end-to-end GUI session: `derpdesk host` from the built CLI plus Debian's Chromium on its printed URL. */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser.js';
import { startCli, waitExit } from './cli.js';

export const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');

export interface GuiSession {
  /** The host's data directory (settings, history). */
  dir: string;
  /** The URL with the access token, as printed. */
  url: string;
  browser: Browser;
  page: Page;
  /** Full-page screenshot into test/artifacts/<name>.png. */
  shot(name: string): Promise<Buffer>;
  close(): Promise<void>;
}

export interface GuiOptions {
  prefix: string;
  viewport?: { width: number; height: number };
  settings?: object;
  /** Further `derpdesk host` flags, e.g. `--allow-remote`. */
  hostArgs?: string[];
  /** Further Chromium switches, or a function of the data dir (for files the host writes there on start). */
  browserArgs?: string[] | ((dir: string) => string[]);
}

export async function openGui(opts: GuiOptions): Promise<GuiSession> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const dir = mkdtempSync(path.join(os.tmpdir(), `derpdesk-e2e-${opts.prefix}-`));
  if (opts.settings) writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(opts.settings));
  const started = await startCli(
    ['host', '--listen', '127.0.0.1:0', '--data-dir', dir, ...(opts.hostArgs ?? [])],
    /open (https?:\/\/\S+)/,
  );
  const host: ChildProcess = started.child;
  const browser = await launchChromium(
    typeof opts.browserArgs === 'function' ? opts.browserArgs(dir) : opts.browserArgs,
  );
  const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1400, height: 1000 } });
  return {
    dir,
    url: started.match[1],
    browser,
    page,
    shot: (name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true }),
    close: async () => {
      await browser.close();
      host.kill('SIGTERM');
      await waitExit(host);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
