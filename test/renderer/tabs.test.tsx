// @vitest-environment happy-dom
/** Tabs follow the WAI-ARIA tabs pattern: one tab in the tab order, arrows wrap, Home and End jump to the ends. */
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { Tabs } from '../../renderer/src/components/Tabs.js';

afterEach(cleanup);

const OPTIONS = [
  { id: 'a', label: 'Alpha' },
  { id: 'b', label: 'Beta' },
  { id: 'c', label: 'Gamma' },
] as const;

function Harness() {
  const [v, setV] = useState<'a' | 'b' | 'c'>('a');
  return <Tabs idPrefix="t" label="Letters" options={OPTIONS} value={v} onChange={setV} />;
}

const selected = () => screen.getByRole('tab', { selected: true }).textContent;

describe('Tabs', () => {
  it('keeps only the selected tab in the tab order', () => {
    render(<Harness />);
    expect(screen.getAllByRole('tab').map((t) => t.getAttribute('tabindex'))).toEqual(['0', '-1', '-1']);
  });

  it('moves selection and focus with the arrow keys, wrapping, and with Home and End', () => {
    render(<Harness />);
    const key = (k: string) => fireEvent.keyDown(document.activeElement ?? document.body, { key: k });
    screen.getByRole('tab', { name: 'Alpha' }).focus();
    key('ArrowLeft');
    expect(selected()).toBe('Gamma');
    expect(document.activeElement?.textContent).toBe('Gamma');
    key('ArrowRight');
    expect(selected()).toBe('Alpha');
    key('End');
    expect(selected()).toBe('Gamma');
    expect(document.activeElement?.textContent).toBe('Gamma');
    key('Home');
    expect(selected()).toBe('Alpha');
    expect(document.activeElement?.textContent).toBe('Alpha');
    key('x');
    expect(selected()).toBe('Alpha');
  });
});
