/**
 * V8 flags for a process that runs the relay. With V8's default sizing of a fresh heap, the old generation's free
 * room stays below the young generation's size at the relay's allocation rate, so V8 starts a full mark-compact
 * every ~170 ms under load, each ending in a 4-7 ms pause that every packet in flight waits out. A 64 MB initial old
 * space removes them: 10-13 mark-compacts in 7 s of load became none, and the round trip's p99 beside 25k packets/s
 * fell from 14 to 6 ms (docs/performance.md). V8 takes heap sizes only when the process starts, so they go on the
 * command line: the `derpdesk` launcher's shebang (bin/derpdesk.mjs, checked by a test), the systemd units, the
 * `npm start` fallback and the benchmark; cluster workers inherit them.
 */
export const RELAY_V8_FLAGS = ['--initial-old-space-size=64'];
