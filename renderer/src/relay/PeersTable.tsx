import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useMemo, useRef, useState } from 'react';
import { formatAgo, formatBytes, formatCount, formatRate, shortNodeKey } from '../format.js';
import { useRelayStore, type PeerRow } from './store.js';
import { CopyButton } from '../components/CopyButton.js';

export type SortKey =
  | 'key'
  | 'remote'
  | 'connectedAt'
  | 'preferred'
  | 'rate'
  | 'bytesIn'
  | 'bytesOut'
  | 'packetsIn'
  | 'packetsOut'
  | 'drops';

const COLUMNS: Array<{ key: SortKey; label: string; numeric?: boolean }> = [
  { key: 'key', label: 'Node key' },
  { key: 'remote', label: 'Remote address' },
  { key: 'connectedAt', label: 'Connected' },
  { key: 'preferred', label: 'Home' },
  { key: 'rate', label: 'Rate', numeric: true },
  { key: 'bytesIn', label: 'Bytes in', numeric: true },
  { key: 'bytesOut', label: 'Bytes out', numeric: true },
  { key: 'packetsIn', label: 'Packets in', numeric: true },
  { key: 'packetsOut', label: 'Packets out', numeric: true },
  { key: 'drops', label: 'Drops', numeric: true },
];

const ROW_HEIGHT = 34;
/** The body grows with the rows up to this height (see .peer-body's max-height), then scrolls. */
const BODY_MIN = 2 * ROW_HEIGHT;

/** `1.2.3.4:5`, `[::1]:5` */
export function formatRemote(p: { remoteAddress: string; remotePort: number }): string {
  return p.remoteAddress.includes(':') ? `[${p.remoteAddress}]:${p.remotePort}` : `${p.remoteAddress}:${p.remotePort}`;
}

/** Orders IPv4 numerically before IPv6, then by port. */
function remoteSortKey(p: PeerRow): string {
  const port = String(p.remotePort).padStart(5, '0');
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(p.remoteAddress);
  if (v4)
    return `4${v4
      .slice(1)
      .map((o) => o.padStart(3, '0'))
      .join('.')}:${port}`;
  return `6${p.remoteAddress.toLowerCase()}:${port}`;
}

function sortValue(p: PeerRow, k: SortKey): string | number {
  switch (k) {
    case 'remote':
      return remoteSortKey(p);
    case 'preferred':
      return p.preferred ? 1 : 0;
    default:
      return p[k];
  }
}

export function matchesFilter(p: PeerRow, f: string): boolean {
  if (!f) return true;
  return (
    p.key.toLowerCase().includes(f) ||
    `${p.remoteAddress}:${p.remotePort}`.toLowerCase().includes(f) ||
    formatRemote(p).toLowerCase().includes(f)
  );
}

/** Filters (case-insensitive, key or address:port) then sorts; ties keep connection order (by id). */
export function sortAndFilter(peers: PeerRow[], filter: string, key: SortKey, desc: boolean): PeerRow[] {
  const f = filter.trim().toLowerCase();
  // Decorate once: a 10,000-row sort compares ~130,000 times.
  const decorated = peers.filter((p) => matchesFilter(p, f)).map((p) => ({ p, v: sortValue(p, key) }));
  decorated.sort((a, b) => {
    const c = a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
    return c ? (desc ? -c : c) : a.p.id - b.p.id;
  });
  return decorated.map((d) => d.p);
}

const PeerRowView = memo(function PeerRowView({
  p,
  now,
  index,
  start,
}: {
  p: PeerRow;
  now: number;
  index: number;
  start: number;
}) {
  return (
    <div
      className={`peer-grid peer-row${p.inactiveDuplicate ? ' dup' : ''}`}
      role="row"
      aria-rowindex={index + 2}
      data-testid="peer-row"
      data-peer-id={p.id}
      style={{ transform: `translateY(${start}px)`, height: ROW_HEIGHT }}
    >
      <span role="cell" className="keycell">
        <code title={p.key}>{shortNodeKey(p.key)}</code>
        <CopyButton className="copy" text={p.key} label={`Copy ${p.key}`} />
        {p.isMeshPeer && (
          <span className="tag" title="mesh peer: another DERP server of this region">
            mesh
          </span>
        )}
        {p.isProber && (
          <span className="tag" title="prober: a monitoring client">
            prober
          </span>
        )}
        {p.inactiveDuplicate && (
          <span className="tag warn" title="inactive duplicate: another connection with this key is the active one">
            dup
          </span>
        )}
      </span>
      <span role="cell">{formatRemote(p)}</span>
      <span role="cell" title={new Date(p.connectedAt).toLocaleString()}>
        {formatAgo(p.connectedAt, now)}
      </span>
      <span role="cell">{p.preferred ? 'yes' : 'no'}</span>
      <span role="cell" className="num">
        {formatRate(p.rate)}
      </span>
      <span role="cell" className="num">
        {formatBytes(p.bytesIn)}
      </span>
      <span role="cell" className="num">
        {formatBytes(p.bytesOut)}
      </span>
      <span role="cell" className="num">
        {formatCount(p.packetsIn)}
      </span>
      <span role="cell" className="num">
        {formatCount(p.packetsOut)}
      </span>
      <span role="cell" className={`num${p.drops > 0 ? ' warn-text' : ''}`}>
        {formatCount(p.drops)}
      </span>
    </div>
  );
});

/** Connected clients; virtualised so that ten thousand rows cost what a screenful does. */
export function PeersTable() {
  const peers = useRelayStore((s) => s.peers);
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'connectedAt', desc: false });
  const rows = useMemo(() => sortAndFilter(peers, filter, sort.key, sort.desc), [peers, filter, sort]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    getItemKey: (i) => rows[i].id,
  });
  // Relative times move on with each snapshot (about once a second).
  // eslint-disable-next-line react-hooks/exhaustive-deps -- read the clock once per snapshot, not per render
  const now = useMemo(() => Date.now(), [peers]);

  return (
    <section className="card" aria-labelledby="peers-heading">
      <div className="table-head">
        <h2 id="peers-heading">Peers</h2>
        <span data-testid="peers-count" className="muted" aria-live="polite">
          {rows.length} {rows.length === 1 ? 'peer' : 'peers'}
          {filter.trim() && rows.length !== peers.length ? ` of ${peers.length}` : ''}
        </span>
        <input
          type="search"
          aria-label="Filter peers by key or address"
          placeholder="Filter by key or address"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      </div>
      <div
        className="peers"
        role="table"
        aria-label="Connected peers"
        aria-rowcount={rows.length + 1}
        data-testid="peers-table"
      >
        <div className="peers-inner">
          <div className="peer-grid peer-header" role="row" aria-rowindex={1}>
            {COLUMNS.map((c) => (
              <span
                key={c.key}
                role="columnheader"
                aria-sort={sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none'}
                className={c.numeric ? 'num' : ''}
              >
                <button
                  type="button"
                  data-testid={`sort-${c.key}`}
                  onClick={() => setSort({ key: c.key, desc: sort.key === c.key ? !sort.desc : !!c.numeric })}
                >
                  {c.label}
                  <span aria-hidden="true">{sort.key === c.key ? (sort.desc ? ' ▼' : ' ▲') : ''}</span>
                </button>
              </span>
            ))}
          </div>
          <div
            className="peer-body"
            ref={scroller}
            data-testid="peers-scroller"
            style={{ height: Math.max(BODY_MIN, rows.length * ROW_HEIGHT + 1) }}
          >
            {rows.length === 0 && (
              <p className="empty">{peers.length ? 'No peer matches the filter.' : 'No clients connected.'}</p>
            )}
            <div className="peer-spacer" style={{ height: virtual.getTotalSize() }}>
              {virtual.getVirtualItems().map((v) => (
                <PeerRowView key={v.key} p={rows[v.index]} now={now} index={v.index} start={v.start} />
              ))}
            </div>
          </div>
        </div>
      </div>
    </section>
  );
}
