import os from 'node:os';
import path from 'node:path';

/** Where derpdesk keeps its state when no directory is given: the platform's per-user config directory. */
export function defaultDataDir(): string {
  if (process.env.DERPDESK_DATA_DIR) return process.env.DERPDESK_DATA_DIR;
  if (process.platform === 'win32')
    return path.join(process.env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'derpdesk');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'derpdesk');
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'derpdesk');
}
