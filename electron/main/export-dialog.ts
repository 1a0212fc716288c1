/**
 * Exports (check reports, monitor history, maps as text) are saved by the page as a download of a blob it made
 * (renderer/src/components/ExportCard.tsx), the same way in the window and in a browser on `derpdesk host`, so no
 * file access goes through the API. In the window Electron then asks where to save with its native save dialog;
 * this titles that dialog and filters it by the export's type. A download of anything but the page's own blobs is
 * cancelled: the page never fetches files, so one would come from something that should not be there.
 */
import path from 'node:path';
import type { DownloadItem, SaveDialogOptions, Session } from 'electron';
import type { Logger } from '../util/log.js';

const TYPE_NAMES: Record<string, string> = {
  json: 'JSON',
  csv: 'CSV (spreadsheet)',
  md: 'Markdown',
  yaml: 'YAML',
  txt: 'Text',
};

export function exportDialogOptions(fileName: string, downloadsDir: string): SaveDialogOptions {
  const ext = path.extname(fileName).slice(1).toLowerCase();
  return {
    title: 'Save export',
    defaultPath: path.join(downloadsDir, fileName),
    filters: [
      ...(ext ? [{ name: TYPE_NAMES[ext] ?? ext.toUpperCase(), extensions: [ext] }] : []),
      { name: 'All files', extensions: ['*'] },
    ],
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  };
}

type DownloadSession = Pick<Session, 'on'>;
type ExportItem = Pick<DownloadItem, 'getURL' | 'getFilename' | 'setSaveDialogOptions'>;

export function installExportDialogs(session: DownloadSession, downloadsDir: () => string, logger: Logger): void {
  session.on('will-download', (event, item: ExportItem) => {
    const url = item.getURL();
    if (!url.startsWith('blob:')) {
      event.preventDefault();
      logger.warn(`derpdesk: refused a download of ${url}: the window only saves its own exports`);
      return;
    }
    item.setSaveDialogOptions(exportDialogOptions(item.getFilename(), downloadsDir()));
  });
}
