// @vitest-environment happy-dom
/** The Diagnostics page's world map: regions coloured by their checks' health, selected by a click on the map or a row. */
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { DiagnosticsPage } from '../../renderer/src/diagnostics/DiagnosticsPage.js';
import { useDiagnosticsStore } from '../../renderer/src/diagnostics/store.js';
import type { NodeReport, StepStatus } from '../../shared/diagnostics.js';

const DIAG = useDiagnosticsStore.getState();
afterEach(() => {
  cleanup();
  useDiagnosticsStore.setState(DIAG, true);
});

const node = (regionId: number, code: string, name: string, statuses: StepStatus[], place = true): NodeReport => ({
  regionId,
  regionCode: code,
  regionName: code,
  ...(place ? { latitude: regionId - 900, longitude: 10 * (regionId - 900) } : {}),
  node: name,
  host: `${name}.example.com`,
  steps: statuses.map((status, i) => ({ step: i === 0 ? 'dns' : 'tcp4', status, detail: status })),
});

const NODES = [
  node(900, 'fra', '900a', ['ok', 'ok']),
  node(901, 'nyc', '901a', ['ok', 'warn']),
  node(902, 'sin', '902a', ['ok', 'ok']),
  node(902, 'sin', '902b', ['ok', 'fail']),
  node(903, 'syd', '903a', ['ok', 'skip']),
  node(904, 'none', '904a', ['ok'], false),
];

const marker = (id: number) => screen.getByRole('button', { name: new RegExp(`\\(region ${id}\\)`) });
const selectedRows = () =>
  [...document.querySelectorAll('[data-testid="diag-results"] tr.selected')].map((r) =>
    r.getAttribute('data-region-id'),
  );

describe('health map', () => {
  it('colours each region by its worst node, and leaves out regions without a place', () => {
    useDiagnosticsStore.setState({ nodes: NODES });
    render(<DiagnosticsPage />);
    expect(marker(900).getAttribute('class')).toContain('health-ok');
    expect(marker(901).getAttribute('class')).toContain('health-warning');
    expect(marker(902).getAttribute('class')).toContain('health-failed');
    expect(marker(903).getAttribute('class')).toContain('health-ok');
    expect(screen.queryByRole('button', { name: /\(region 904\)/ })).toBeNull();
  });

  it('selects a region by a click on its marker: the marker is pressed and its rows are marked; a second click clears', () => {
    useDiagnosticsStore.setState({ nodes: NODES });
    render(<DiagnosticsPage />);
    fireEvent.click(marker(902));
    expect(marker(902).getAttribute('aria-pressed')).toBe('true');
    expect(marker(900).getAttribute('aria-pressed')).toBe('false');
    expect(selectedRows()).toEqual(['902', '902']);
    fireEvent.click(marker(902));
    expect(marker(902).getAttribute('aria-pressed')).toBe('false');
    expect(selectedRows()).toEqual([]);
  });

  it('selects the region of a row clicked in the results, on the map too', () => {
    useDiagnosticsStore.setState({ nodes: NODES });
    render(<DiagnosticsPage />);
    fireEvent.click(screen.getByRole('button', { name: '901a' }));
    expect(marker(901).getAttribute('aria-pressed')).toBe('true');
    expect(selectedRows()).toEqual(['901']);
  });
});
