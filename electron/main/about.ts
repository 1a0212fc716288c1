/**
 * The About panel: versions for bug reports (the app, Electron, Chrome, Node) and where the app keeps its data
 * and log, in one message box that works the same on every platform (Electron's own panel differs per platform
 * and cannot show paths on Windows).
 */
import type { Dialog, MessageBoxOptions } from 'electron';

export interface AboutInfo {
  appVersion: string;
  versions: { electron?: string; chrome?: string; node: string };
  dataDir: string;
  logFile: string;
}

export function aboutText(info: AboutInfo): string {
  return [
    `Version ${info.appVersion}`,
    `Electron ${info.versions.electron ?? 'unknown'}`,
    `Chrome ${info.versions.chrome ?? 'unknown'}`,
    `Node ${info.versions.node}`,
    '',
    `Data folder: ${info.dataDir}`,
    `Log file: ${info.logFile}`,
  ].join('\n');
}

export function aboutBox(info: AboutInfo): MessageBoxOptions {
  return {
    type: 'info',
    title: 'About derpdesk',
    message: 'derpdesk',
    detail: aboutText(info),
    buttons: ['OK', 'Copy', 'Open Data Folder'],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
  };
}

/** Shows the box; "Copy" puts the text on the clipboard, "Open Data Folder" opens it in the file manager. */
export async function showAbout(
  dialog: Pick<Dialog, 'showMessageBox'>,
  info: AboutInfo,
  copy: (text: string) => Promise<void> | void,
  openFolder: (dir: string) => void,
): Promise<void> {
  const { response } = await dialog.showMessageBox(aboutBox(info));
  if (response === 1) await copy(`derpdesk ${aboutText(info)}`);
  if (response === 2) openFolder(info.dataDir);
}
