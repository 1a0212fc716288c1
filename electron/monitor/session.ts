/**
 * The monitoring session to start again when the app (or `derpdesk host`) starts: the request of the last start,
 * kept in the data directory until the user stops monitoring. A file that is missing, unreadable or no longer a
 * valid request means there is nothing to resume.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { monitorRequest, type MonitorRequest } from '../../shared/api.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export const SESSION_FILE = 'monitor-session.json';

export class SessionFile {
  private readonly file: string;
  private wanted: MonitorRequest | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, SESSION_FILE);
  }

  async load(): Promise<MonitorRequest | null> {
    try {
      const parsed: unknown = JSON.parse(await fs.readFile(this.file, 'utf8'));
      return monitorRequest.check(parsed, 'session') ? null : (parsed as MonitorRequest);
    } catch {
      return null;
    }
  }

  /**
   * Remembers `req` (null: nothing to resume). Best effort: monitoring goes on when the file cannot be written, it
   * just will not resume. Writes run one at a time, each of the latest wish, so the file ends as the last call asked.
   */
  set(req: MonitorRequest | null): Promise<void> {
    this.wanted = req;
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  private async write(): Promise<void> {
    const req = this.wanted;
    try {
      if (req) await writeFileAtomic(this.file, JSON.stringify(req));
      else await fs.rm(this.file, { force: true });
    } catch {
      // Not resuming is the whole cost; the session itself runs on.
    }
  }
}
