import { Window } from 'happy-dom';
import { describe, expect, it } from 'vitest';
import { chartSvg, niceTicks } from '../../bench/svg.js';

describe('benchmark charts', () => {
  it('picks round axis ticks that cover the largest value', () => {
    expect(niceTicks(437)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(niceTicks(0.45)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });

  it('draws one line per series and one marker per finite point, side by side, with text escaped', () => {
    const svg = chartSvg([
      {
        title: 'A & B',
        xLabel: 'pairs',
        yLabel: 'MB/s',
        series: [
          {
            name: 'relay',
            points: [
              [1, 10],
              [8, 40],
            ],
          },
          {
            name: 'pipe <ceiling>',
            dashed: true,
            points: [
              [1, 20],
              [8, NaN],
            ],
          },
        ],
      },
      {
        title: 'latency',
        xLabel: 'load %',
        yLabel: 'ms',
        series: [
          {
            name: 'p99',
            points: [
              [0, 0.4],
              [50, 2],
              [90, 9],
            ],
          },
        ],
      },
    ]);
    const doc = new new Window().DOMParser().parseFromString(svg, 'image/svg+xml');
    const root = doc.documentElement;
    expect(root.tagName.toLowerCase()).toBe('svg');
    expect(root.getAttribute('width')).toBe('760');
    expect(doc.querySelectorAll('path').length).toBe(3);
    expect(doc.querySelectorAll('circle').length).toBe(2 + 1 + 3);
    expect(doc.querySelectorAll('path[stroke-dasharray]').length).toBe(1);
    const texts = [...doc.querySelectorAll('text')].map((t) => t.textContent);
    expect(texts).toContain('A & B');
    expect(texts).toContain('pipe <ceiling>');
    expect(svg).not.toContain('NaN');
  });
});
