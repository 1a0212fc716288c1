/** Picking files: a native dialog in the desktop app, none in `derpdesk host` (paths are typed there). */
import type { HandlersOf } from '../../../shared/api.js';
import type { FileAccess } from '../file-access.js';

export type FilesHandlers = HandlersOf<'files'>;

export function filesHandlers(deps: { files: FileAccess }): FilesHandlers {
  const { files } = deps;
  return {
    'files.canChoose': async () => files.canChoose,
    'files.choose': async (req) => files.choose(req),
  };
}
