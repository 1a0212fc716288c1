/**
 * Start at login, hidden in the tray. macOS and Windows have Electron's app.setLoginItemSettings; Linux desktops
 * read XDG autostart entries (~/.config/autostart/*.desktop), which Electron does not write, so we do.
 * Either way the app is started with --hidden and then lives in the tray until the user opens it.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from 'electron';
import { writeFileAtomic } from '../util/atomic-file.js';

export const HIDDEN_FLAG = '--hidden';

export interface LoginItemHost {
  platform: NodeJS.Platform;
  app: Pick<App, 'setLoginItemSettings'>;
  /** What to start: the AppImage when running from one (its mount point changes every run), else the binary. */
  executable: string;
  /** Where XDG autostart entries live (Linux). */
  autostartDir: string;
}

export function defaultAutostartDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'autostart');
}

/** A Desktop Entry Exec argument, quoted as the specification requires. */
export function quoteExecArg(arg: string): string {
  if (!/[\s"'\\`$<>|&;*?#()]/.test(arg) && arg !== '') return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function autostartEntry(executable: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=derpdesk',
    'Comment=Tailscale DERP relay host, started hidden in the tray',
    `Exec=${quoteExecArg(executable)} ${HIDDEN_FLAG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export async function applyOpenAtLogin(enabled: boolean, host: LoginItemHost): Promise<void> {
  if (host.platform !== 'linux') {
    host.app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_FLAG] });
    return;
  }
  const file = path.join(host.autostartDir, 'derpdesk.desktop');
  if (enabled) await writeFileAtomic(file, autostartEntry(host.executable), { mode: 0o644 });
  else await fs.rm(file, { force: true });
}

/** Started by the login item: with --hidden (Windows, Linux), or opened at login by macOS. */
export function startedHidden(argv: readonly string[], wasOpenedAtLogin: boolean): boolean {
  return argv.includes(HIDDEN_FLAG) || wasOpenedAtLogin;
}
