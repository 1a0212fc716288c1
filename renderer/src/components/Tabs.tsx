import { useRef, type KeyboardEvent } from 'react';

export interface TabOption<T extends string> {
  id: T;
  label: string;
}

/** The tab a key selects (WAI-ARIA tabs, automatic activation): arrows wrap around, Home and End go to the ends. */
function nextTab(key: string, i: number, count: number): number | null {
  if (key === 'ArrowRight') return (i + 1) % count;
  if (key === 'ArrowLeft') return (i - 1 + count) % count;
  if (key === 'Home') return 0;
  if (key === 'End') return count - 1;
  return null;
}

/** A tablist with the standard keyboard pattern; the caller renders the panel. */
export function Tabs<T extends string>({
  idPrefix,
  label,
  options,
  value,
  onChange,
}: {
  idPrefix: string;
  label: string;
  options: ReadonlyArray<TabOption<T>>;
  value: T;
  onChange: (v: T) => void;
}) {
  const refs = useRef<Array<HTMLButtonElement | null>>([]);
  const onKey = (e: KeyboardEvent, i: number) => {
    const next = nextTab(e.key, i, options.length);
    if (next === null) return;
    e.preventDefault();
    onChange(options[next].id);
    refs.current[next]?.focus();
  };
  return (
    <div role="tablist" aria-label={label} className="tabs">
      {options.map((o, i) => (
        <button
          key={o.id}
          ref={(el) => {
            refs.current[i] = el;
          }}
          id={`${idPrefix}-tab-${o.id}`}
          type="button"
          role="tab"
          aria-selected={value === o.id}
          aria-controls={`${idPrefix}-panel`}
          tabIndex={value === o.id ? 0 : -1}
          onClick={() => onChange(o.id)}
          onKeyDown={(e) => onKey(e, i)}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}
