import { useEffect, useState } from 'react';
import type { DerpdeskApi, FilePurpose } from '../../../shared/api.js';

/** Whether the app can show a native file dialog: the desktop app can, `derpdesk host` in a browser cannot. */
export function useCanChooseFiles(api: DerpdeskApi | null): boolean {
  const [can, setCan] = useState(false);
  useEffect(() => {
    let live = true;
    api?.call('files.canChoose').then(
      (v) => live && setCan(v === true),
      // An older host without the call: paths are typed, as they were.
      () => live && setCan(false),
    );
    return () => {
      live = false;
    };
  }, [api]);
  return can;
}

/**
 * "Browse…" beside a path input: picks a file in the native dialog (which also lets the app use it). Renders
 * nothing where there is no dialog; the path is then typed.
 */
export function BrowseButton({ api, purpose, mode = 'open', current, onChosen }: { api: DerpdeskApi | null; purpose: FilePurpose; mode?: 'open' | 'save'; current?: string; onChosen: (path: string) => void }) {
  const can = useCanChooseFiles(api);
  const [error, setError] = useState<string | null>(null);
  if (!api || !can) return null;
  const browse = async () => {
    setError(null);
    try {
      const picked = await api.call('files.choose', { mode, purpose, ...(current ? { defaultPath: current } : {}) });
      if (picked) onChosen(picked);
    } catch (err) {
      setError(`No file dialog: ${(err as Error).message}`);
    }
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
