/**
 * The real desktop app through Playwright's Electron driver. Electron's binary cannot be downloaded on the
 * project's build machines, so this runs only where `npm install` fetched it (any machine with internet).
 * Launch, switch the relay on in the window, see it in the tray's menu (clients now), stop and start it from the tray,
 * drive the application menu, close the window (the app stays in the tray and the relay keeps serving a real DERP
 * client), then Quit from the tray: the client gets Restarting. Electron lists no Tray objects, so the tray's menu is
 * reached through the main process's `derpdeskTrayMenu` (electron/main/index.ts); the same items are covered with
 * fakes in test/main/desktop.test.ts, which run everywhere.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { _electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { FrameType } from '../../electron/derp/frames.js';
import { rawHandshake } from '../helpers/relay.js';

const require = createRequire(import.meta.url);
const pathFile = path.join(path.dirname(require.resolve('electron/package.json')), 'path.txt');
const binary = existsSync(pathFile)
  ? path.join(path.dirname(pathFile), 'dist', readFileSync(pathFile, 'utf8').trim())
  : null;
const why =
  'Electron binary not installed (offline machine: node_modules/electron has no path.txt); runs where `npm install` could download it';

type Api = { call(name: string, ...args: unknown[]): Promise<unknown> };
/** The tray menu's items as the main process sees them (evaluate sends the function's source: no closures). */
type TrayItem = { label: string; click(): void };
type MainGlobal = { derpdeskTrayMenu?: () => { getMenuItemById(id: string): TrayItem | null } | null };
/** The page's globals as seen from a Node-typed test (evaluate sends the function's source: no closures). */
type Page = { derpdesk: Api; location: { hash: string; reload(): void } };

describe('desktop app', () => {
  it.skipIf(!binary || !existsSync(binary))(
    `launches, toggles the relay in the window and the tray, keeps it serving in the tray, and quits from the tray (skipped here: ${why})`,
    async () => {
      const userData = mkdtempSync(path.join(os.tmpdir(), 'derpdesk-electron-'));
      const app = await _electron.launch({
        executablePath: binary!,
        args: [path.resolve(import.meta.dirname, '../..'), `--user-data-dir=${userData}`],
      });
      try {
        const win = await app.firstWindow();
        await expect
          .poll(() => win.getByTestId('relay-status').textContent(), { timeout: 15_000 })
          .toMatch(/Stopped|Running/);
        expect(await win.evaluate(() => typeof (globalThis as unknown as { derpdesk?: unknown }).derpdesk)).toBe(
          'object',
        );
        expect(await win.evaluate(() => typeof (globalThis as unknown as { require?: unknown }).require)).toBe(
          'undefined',
        );
        await win.evaluate(async () => {
          const api = (globalThis as unknown as Page).derpdesk;
          const snap = (await api.call('settings.get')) as { settings: Record<string, unknown> };
          await api.call('settings.save', { ...snap.settings, listenAddr: '127.0.0.1:0', stunEnabled: false });
          (globalThis as unknown as Page).location.reload();
        });
        await win.getByRole('switch', { name: 'Relay' }).click();
        await expect.poll(() => win.getByTestId('relay-status').textContent(), { timeout: 15_000 }).toMatch(/Running/);
        const trayLabel = (id: string) =>
          app.evaluate((_e, itemId) => {
            const menu = (globalThis as unknown as MainGlobal).derpdeskTrayMenu?.();
            return menu?.getMenuItemById(itemId)?.label ?? null;
          }, id);
        const trayClick = (id: string) =>
          app.evaluate((_e, itemId) => {
            (globalThis as unknown as MainGlobal).derpdeskTrayMenu?.()?.getMenuItemById(itemId)?.click();
          }, id);
        const relayPort = async () => {
          const state = (await win.evaluate(() => (globalThis as unknown as Page).derpdesk.call('relay.getState'))) as {
            endpoints: Array<{ url: string }>;
          };
          return Number(new URL(state.endpoints[0].url).port);
        };

        // The tray follows the relay the window started, counts its clients, and stops and starts it.
        expect(await trayLabel('relay-toggle')).toBe('Stop Relay');
        const first = await rawHandshake(await relayPort());
        await expect.poll(() => trayLabel('clients'), { timeout: 15_000 }).toBe('Clients now: 1');
        await trayClick('relay-toggle');
        let seen = await first.peer.readFrame(15_000);
        while (seen.type !== FrameType.Restarting) seen = await first.peer.readFrame(15_000);
        await expect.poll(() => win.getByTestId('relay-status').textContent(), { timeout: 15_000 }).toMatch(/Stopped/);
        expect(await trayLabel('relay-toggle')).toBe('Start Relay');
        await trayClick('relay-toggle');
        await expect.poll(() => win.getByTestId('relay-status').textContent(), { timeout: 15_000 }).toMatch(/Running/);
        const port = await relayPort();

        // The application menu's page shortcut reaches the window.
        await app.evaluate(({ Menu }) => Menu.getApplicationMenu()?.getMenuItemById('page-map')?.click());
        await expect.poll(() => win.evaluate(() => (globalThis as unknown as Page).location.hash)).toBe('#map');

        // Closing the window hides it into the tray: the app and the relay go on.
        await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0].close());
        const { peer } = await rawHandshake(port);
        expect(
          await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((w) => w.isVisible())),
        ).toEqual([false]);

        // Quit from the tray: the client hears Restarting before the app exits.
        const closed = new Promise<void>((resolve) => app.once('close', () => resolve()));
        await trayClick('quit');
        let frame = await peer.readFrame(15_000);
        while (frame.type !== FrameType.Restarting) frame = await peer.readFrame(15_000);
        await closed;
      } finally {
        await app.close().catch(() => {});
        rmSync(userData, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
