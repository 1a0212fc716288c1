// @vitest-environment happy-dom
/** A node's day on the Monitor page: the availability strip's share of passed runs, and the chart's time ticks. */
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { AvailabilityStrip, availabilityText, dayTicks } from '../../renderer/src/monitor/NodeHistoryView.js';
import { HISTORY_BUCKET_MS } from '../../shared/monitor.js';

afterEach(cleanup);

describe('monitor history view', () => {
  it('shows 0% and 100% only for none and all passed, two decimals between', () => {
    expect(availabilityText(0, 0)).toBeNull();
    expect(availabilityText(0, 3)).toBe('0%');
    expect(availabilityText(3, 3)).toBe('100%');
    expect(availabilityText(2, 3)).toBe('66.67%');
    expect(availabilityText(99_999, 100_000)).toBe('99.99%');
    expect(availabilityText(1, 100_000)).toBe('0.01%');
  });

  it('colours each 5-minute slot and gives the share of the day in its label', () => {
    const now = 1_000 * HISTORY_BUCKET_MS + 1234;
    const at = (back: number) => now - (now % HISTORY_BUCKET_MS) - back * HISTORY_BUCKET_MS;
    const { container } = render(
      <AvailabilityStrip
        now={now}
        buckets={[
          { t: at(2), ok: 0, fail: 2, latencyMs: null },
          { t: at(1), ok: 1, fail: 1, latencyMs: 20 },
          { t: at(0), ok: 2, fail: 0, latencyMs: 21 },
        ]}
      />,
    );
    expect(screen.getByRole('img').getAttribute('aria-label')).toBe('50.00% of probes passed in 24 h');
    const slots = [...container.querySelectorAll('.slot')].map((s) => s.className.replace('slot ', ''));
    expect(slots).toHaveLength(288);
    expect(slots.slice(-3)).toEqual(['down', 'partial', 'up']);
    expect(new Set(slots.slice(0, -3))).toEqual(new Set(['none']));
  });

  it('puts the time ticks on the local hours divisible by 6 of the last day', () => {
    const now = new Date(2026, 11, 2, 15, 37).getTime();
    expect(dayTicks(now).map((t) => new Date(t).getHours())).toEqual([18, 0, 6, 12]);
    expect(dayTicks(now).every((t) => t > now - 86_400_000 && t <= now && new Date(t).getMinutes() === 0)).toBe(true);
  });
});
