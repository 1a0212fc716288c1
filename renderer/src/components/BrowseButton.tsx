import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { DerpdeskApi, FilePurpose } from '../../../shared/api.js';
import { useFileDialogStore } from './file-dialog.js';

/** Whether the app can show a native file dialog: the desktop app can, `derpdesk host` in a browser cannot. */
export function useCanChooseFiles(api: DerpdeskApi | null): boolean {
  const { askedOf, canChoose, probe } = useFileDialogStore(
    useShallow((s) => ({ askedOf: s.askedOf, canChoose: s.canChoose, probe: s.probe })),
  );
  useEffect(() => {
    if (api) void probe(api);
  }, [api, probe]);
  return !!api && askedOf === api && canChoose;
}

/**
 * "Browse…" beside a path input: picks a file in the native dialog (which also lets the app use it). Renders
 * nothing where there is no dialog; the path is then typed.
 */
export function BrowseButton({
  api,
  purpose,
  mode = 'open',
  current,
  onChosen,
}: {
  api: DerpdeskApi | null;
  purpose: FilePurpose;
  mode?: 'open' | 'save';
  current?: string;
  onChosen: (path: string) => void;
}) {
  const can = useCanChooseFiles(api);
  const choose = useFileDialogStore((s) => s.choose);
  const [error, setError] = useState<string | null>(null);
  if (!api || !can) return null;
  const browse = async () => {
    setError(null);
    const r = await choose(api, { purpose, mode, current });
    if ('error' in r) setError(r.error);
    else if (r.path) onChosen(r.path);
  };
  return (
    <>
      <button type="button" className="browse" onClick={() => void browse()}>
        Browse…
      </button>
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
