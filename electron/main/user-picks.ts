/**
 * The files the user picks in native UI: the open and save dialogs, and the File > Open Map and Open Recent menu
 * items. A menu click is the user's own choice as much as a dialog pick (the window cannot make it), so it is
 * granted the same way, through the file policy's `choose`. Map picks are remembered as recent files.
 */
import type { ChooseFileRequest } from '../../shared/api.js';
import type { FileAccess, ShowFileDialog } from '../app/file-access.js';

export class UserPicks {
  /** Answered instead of a dialog by the next `show` (set and consumed within one synchronous `choose` call). */
  private menuAnswer: string | null = null;

  constructor(
    private readonly dialog: ShowFileDialog,
    private readonly onMapPicked: (file: string) => void,
  ) {}

  /** The ShowFileDialog the file policy calls. */
  readonly show: ShowFileDialog = async (req: ChooseFileRequest) => {
    const answer = this.menuAnswer;
    this.menuAnswer = null;
    const picked = answer ?? (await this.dialog(req));
    if (picked !== null && req.purpose === 'map') this.onMapPicked(picked);
    return picked;
  };

  /** Grants `file` (a map the user picked from a native menu) through `files`, as if picked in a dialog. */
  grantFromMenu(files: FileAccess, file: string): Promise<string | null> {
    this.menuAnswer = file;
    try {
      return files.choose({ mode: 'open', purpose: 'map' });
    } finally {
      this.menuAnswer = null;
    }
  }
}
