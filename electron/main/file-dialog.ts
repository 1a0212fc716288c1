/**
 * The native open and save dialogs behind `files.choose`: the desktop app lets the user pick a file instead of
 * trusting a path the window sends, and what they pick is what the file policy then allows.
 */
import type { BaseWindow, Dialog, FileFilter } from 'electron';
import type { ChooseFileRequest, FilePurpose } from '../../shared/api.js';

const ALL_FILES: FileFilter = { name: 'All files', extensions: ['*'] };

const PURPOSES: Record<FilePurpose, { title: string; filter: FileFilter }> = {
  map: { title: 'DERP map', filter: { name: 'DERP map (YAML or JSON)', extensions: ['yaml', 'yml', 'json'] } },
  'headscale-config': {
    title: 'headscale config',
    filter: { name: 'headscale config (YAML)', extensions: ['yaml', 'yml'] },
  },
  allowlist: { title: 'Allowlist file', filter: { name: 'Text', extensions: ['txt', 'list'] } },
  key: { title: 'Key file', filter: { name: 'Key', extensions: ['key', 'json', 'pem'] } },
  certificate: { title: 'TLS certificate or key', filter: { name: 'PEM', extensions: ['pem', 'crt', 'key'] } },
};

/** Shows the dialog over `parent` (when there is one); resolves to the picked path or null when cancelled. */
export async function showFileDialog(
  dialog: Pick<Dialog, 'showOpenDialog' | 'showSaveDialog'>,
  parent: BaseWindow | null,
  req: ChooseFileRequest,
): Promise<string | null> {
  const { title, filter } = PURPOSES[req.purpose];
  const common = {
    title: `${req.mode === 'open' ? 'Open' : 'Save'} ${title}`,
    filters: [filter, ALL_FILES],
    ...(req.defaultPath ? { defaultPath: req.defaultPath } : {}),
  };
  if (req.mode === 'open') {
    const options = { ...common, properties: ['openFile' as const] };
    const r = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
    return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
  }
  const options = { ...common, properties: ['createDirectory' as const, 'showOverwriteConfirmation' as const] };
  const r = parent ? await dialog.showSaveDialog(parent, options) : await dialog.showSaveDialog(options);
  return r.canceled || !r.filePath ? null : r.filePath;
}
