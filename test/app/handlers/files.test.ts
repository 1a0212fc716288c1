/** The files handlers answer from the FileAccess policy they were given. */
import { describe, expect, it } from 'vitest';
import type { FileAccess } from '../../../electron/app/file-access.js';
import { filesHandlers } from '../../../electron/app/handlers/files.js';
import type { ChooseFileRequest } from '../../../shared/api.js';

describe('files handlers', () => {
  it("files.canChoose and files.choose are the policy's", async () => {
    const asked: ChooseFileRequest[] = [];
    const files: FileAccess = {
      canChoose: true,
      check: async (f) => f,
      choose: async (req) => {
        asked.push(req);
        return '/picked/map.yaml';
      },
    };
    const h = filesHandlers({ files });
    expect(await h['files.canChoose']()).toBe(true);
    expect(await h['files.choose']({ mode: 'open', purpose: 'map' })).toBe('/picked/map.yaml');
    expect(asked).toEqual([{ mode: 'open', purpose: 'map' }]);
  });
});
