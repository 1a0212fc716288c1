import { useEffect, useRef, useState } from 'react';
import { copyText } from '../clipboard.js';

/** A button that copies `text` and says whether it worked for a moment. */
export function CopyButton({ text, label, className }: { text: string; label: string; className?: string }) {
  const [result, setResult] = useState<'copied' | 'failed' | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return (
    <button
      type="button"
      className={className}
      aria-label={label}
      title={label}
      disabled={!text}
      onClick={() =>
        void copyText(text).then((ok) => {
          setResult(ok ? 'copied' : 'failed');
          if (timer.current) clearTimeout(timer.current);
          timer.current = setTimeout(() => setResult(null), 1500);
        })
      }
    >
      {result === 'copied' ? 'Copied' : result === 'failed' ? 'Copy failed' : 'Copy'}
    </button>
  );
}
