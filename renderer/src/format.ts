/** Number and time formatting for the dashboard (decimal units, as network rates are usually given). */
import { nounFor } from '../../shared/words.js';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '–';
  let i = 0;
  let v = Math.abs(n);
  while (v >= 999.5 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  const sign = n < 0 ? '-' : '';
  return `${sign}${i === 0 ? v.toFixed(0) : v.toFixed(v < 10 ? 2 : 1)} ${UNITS[i]}`;
}

export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) < 999.5) return n.toFixed(Number.isInteger(n) ? 0 : 1);
  if (Math.abs(n) < 999_950) return `${(n / 1e3).toFixed(1)}k`;
  if (Math.abs(n) < 999_950_000) return `${(n / 1e6).toFixed(2)}M`;
  return `${(n / 1e9).toFixed(2)}G`;
}

/** "1 packet", "1.2k packets": a count shortened as formatCount does, and its noun. */
export function counted(n: number, one: string, many?: string): string {
  return `${formatCount(n)} ${nounFor(n, one, many)}`;
}

/** "42s ago", "3m 5s ago", "2h 10m ago", "4d ago"; times in the future count as now. */
export function formatAgo(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** `nodekey:0123abcd…` */
export function shortNodeKey(key: string): string {
  return key.length > 16 ? `${key.slice(0, 16)}…` : key;
}
