// @vitest-environment happy-dom
/** The world map: real land drawn offline, regions where their coordinates are, selection by mouse and keyboard. */
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorldMap } from '../../renderer/src/map/WorldMap.js';
import type { DerpMap, DerpRegion } from '../../shared/derpmap/model.js';

afterEach(cleanup);

const region = (id: number, code: string, lat?: number, lon?: number): DerpRegion => ({
  RegionID: id,
  RegionCode: code,
  RegionName: `${code} city`,
  Latitude: lat,
  Longitude: lon,
  Nodes: [],
});

const MAP: DerpMap = {
  Regions: {
    '1': region(1, 'null', 0, 0),
    '2': region(2, 'east', 0, 180),
    '3': region(3, 'north', 90, 0),
    '4': region(4, 'syd', -33.87, 151.21),
    '5': region(5, 'nowhere'),
    '6': region(6, 'typo', 200, 10),
  },
};

function viewBox(): [number, number] {
  const [, , w, h] = screen.getByRole('group', { name: 'Regions on a world map' }).getAttribute('viewBox')!.split(' ');
  return [Number(w), Number(h)];
}

function position(name: RegExp): [number, number] {
  const t = screen.getByRole('button', { name }).getAttribute('transform')!;
  const m = /^translate\((\S+) (\S+)\)$/.exec(t)!;
  return [Number(m[1]), Number(m[2])];
}

describe('WorldMap', () => {
  it('draws the land outline from the bundled 110m atlas', () => {
    render(<WorldMap map={MAP} selected={null} onSelect={() => {}} />);
    const d = screen.getByTestId('world-land').getAttribute('d') ?? '';
    // Natural Earth's 110m land is about 130 polygons of thousands of points; an empty grid has none.
    expect(d.match(/M/g)?.length ?? 0).toBeGreaterThan(100);
    expect(d.length).toBeGreaterThan(20_000);
  });

  it('places a region by latitude and longitude, and leaves out those without coordinates or off the globe', () => {
    render(<WorldMap map={MAP} selected={null} onSelect={() => {}} />);
    const [w, h] = viewBox();
    // The projection is fitted to the globe's outline: 0,0 in the middle, the antimeridian at the side edge, the
    // pole on the top edge (a 4-unit margin around).
    expect(position(/\(region 1\)/)).toEqual([w / 2, expect.closeTo(h / 2, 0)]);
    expect(position(/\(region 2\)/)[0]).toBeCloseTo(w - 4, 0);
    expect(position(/\(region 3\)/)[1]).toBeCloseTo(4, 0);
    const [sx, sy] = position(/\(region 4\)/);
    expect(sx).toBeGreaterThan(w * 0.85);
    expect(sx).toBeLessThan(w * 0.95);
    expect(sy).toBeGreaterThan(h * 0.65);
    expect(sy).toBeLessThan(h * 0.75);
    expect(screen.queryByRole('button', { name: /\(region 5\)/ })).toBeNull();
    expect(screen.queryByRole('button', { name: /\(region 6\)/ })).toBeNull();
    expect(screen.getByText(/4 of 6 regions have coordinates on the map/)).toBeTruthy();
  });

  it('counts a single region in the singular', () => {
    render(<WorldMap map={{ Regions: { 1: region(1, 'one', 0, 0) } }} selected={null} onSelect={() => {}} />);
    expect(screen.getByText('1 of 1 region has coordinates on the map.')).toBeTruthy();
  });

  it('selects a region by click, Enter and Space, and marks the selected one pressed', () => {
    const onSelect = vi.fn();
    render(<WorldMap map={MAP} selected="4" onSelect={onSelect} />);
    const syd = screen.getByRole('button', { name: /^syd: syd city \(region 4\)$/ });
    expect(syd.getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByRole('button', { name: /\(region 1\)/ }).getAttribute('aria-pressed')).toBe('false');
    fireEvent.click(screen.getByRole('button', { name: /\(region 2\)/ }));
    const north = screen.getByRole('button', { name: /\(region 3\)/ });
    expect(north.getAttribute('tabindex')).toBe('0');
    fireEvent.keyDown(north, { key: 'Enter' });
    fireEvent.keyDown(syd, { key: ' ' });
    fireEvent.keyDown(syd, { key: 'a' });
    expect(onSelect.mock.calls).toEqual([['2'], ['3'], ['4']]);
  });

  it('selects by the key in Regions, so two regions claiming one RegionID stay two markers', () => {
    const onSelect = vi.fn();
    const clash: DerpMap = {
      Regions: { '900': region(901, 'fra', 50.1, 8.7), '901': region(901, 'sfo', 37.8, -122.4) },
    };
    render(<WorldMap map={clash} selected="900" onSelect={onSelect} />);
    const fra = screen.getByRole('button', { name: /^fra: fra city \(region 900\)$/ });
    expect(fra.getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByRole('button', { name: /^sfo: / }).getAttribute('aria-pressed')).toBe('false');
    fireEvent.click(fra);
    expect(onSelect.mock.calls).toEqual([['900']]);
  });

  it('shows each region’s health as a class, a shape and words, with a legend', () => {
    render(
      <WorldMap map={MAP} selected={null} onSelect={() => {}} health={{ '1': 'ok', '2': 'warning', '3': 'failed' }} />,
    );
    const marker = (id: number) => screen.getByRole('button', { name: new RegExp(`\\(region ${id}\\)`) });
    expect(marker(1).getAttribute('class')).toContain('health-ok');
    expect(marker(2).getAttribute('class')).toContain('health-warning');
    expect(marker(3).getAttribute('class')).toContain('health-failed');
    expect(marker(4).getAttribute('class')).toContain('health-unknown');
    expect(marker(2).getAttribute('aria-label')).toBe('east: east city (region 2), warning');
    expect(marker(1).querySelector('.shape')?.tagName.toLowerCase()).toBe('circle');
    expect(marker(2).querySelector('.shape')?.tagName.toLowerCase()).toBe('path');
    expect(marker(3).querySelector('.shape')?.tagName.toLowerCase()).toBe('rect');
    expect(screen.getByTestId('world-legend').textContent).toBe('okwarningfailednot checked');
  });

  it('has no legend and no health words without health', () => {
    render(<WorldMap map={MAP} selected={null} onSelect={() => {}} />);
    expect(screen.queryByTestId('world-legend')).toBeNull();
    expect(screen.getByRole('button', { name: /\(region 1\)/ }).getAttribute('aria-label')).toBe(
      'null: null city (region 1)',
    );
  });
});
