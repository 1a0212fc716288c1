import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { counted, formatAgo, formatBytes, formatCount, formatRate, shortNodeKey } from '../format.js';
import { useRelayStore, type PeerRow } from './store.js';
import { CopyButton } from '../components/CopyButton.js';

export type SortKey = 'key' | 'connectedAt' | 'rate' | 'traffic' | 'drops';

/**
 * What fits beside the settings at 1400 px and alone at 900 px; the rest of a peer is in its detail row. Traffic is
 * bytes both ways, for sorting by volume.
 */
const COLUMNS: Array<{ key: SortKey; label: string; numeric?: boolean }> = [
  { key: 'key', label: 'Node key' },
  { key: 'connectedAt', label: 'Connected' },
  { key: 'rate', label: 'Rate', numeric: true },
  { key: 'traffic', label: 'Traffic', numeric: true },
  { key: 'drops', label: 'Drops', numeric: true },
];

const ROW_HEIGHT = 34;
/**
 * The detail row's height before it is measured: its text wraps with the window's width, so an open row is measured
 * once drawn, and this is what the virtualiser assumes until then (or where nothing can be measured).
 */
const DETAIL_HEIGHT = 132;
/** The body grows with the rows up to this height (see .peer-body's max-height), then scrolls. */
const BODY_MIN = 2 * ROW_HEIGHT;

/** `1.2.3.4:5`, `[::1]:5` */
export function formatRemote(p: { remoteAddress: string; remotePort: number }): string {
  return p.remoteAddress.includes(':') ? `[${p.remoteAddress}]:${p.remotePort}` : `${p.remoteAddress}:${p.remotePort}`;
}

function sortValue(p: PeerRow, k: SortKey): string | number {
  return k === 'traffic' ? p.bytesIn + p.bytesOut : p[k];
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
  expanded,
  onToggle,
  measure,
}: {
  p: PeerRow;
  now: number;
  index: number;
  start: number;
  expanded: boolean;
  onToggle: (id: number) => void;
  measure: (el: HTMLElement | null) => void;
}) {
  const detailId = `peer-detail-${p.id}`;
  return (
    <div
      className={`peer-grid peer-row${p.inactiveDuplicate ? ' dup' : ''}${expanded ? ' open' : ''}`}
      role="row"
      aria-rowindex={index + 2}
      data-testid="peer-row"
      data-peer-id={p.id}
      data-index={index}
      ref={measure}
      style={{ transform: `translateY(${start}px)`, height: expanded ? undefined : ROW_HEIGHT }}
      // A click anywhere on the row toggles it too; its buttons (toggle, copy) do their own thing.
      onClick={(e) => !(e.target as HTMLElement).closest('button') && onToggle(p.id)}
    >
      <span role="cell" className="keycell">
        <button
          type="button"
          className="expander"
          aria-expanded={expanded}
          aria-controls={expanded ? detailId : undefined}
          aria-label={`Details of ${shortNodeKey(p.key)}`}
          data-testid="peer-expand"
          onClick={() => onToggle(p.id)}
        >
          <span aria-hidden="true">{expanded ? '▾' : '▸'}</span>
        </button>
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
      <span role="cell" title={new Date(p.connectedAt).toLocaleString()}>
        {formatAgo(p.connectedAt, now)}
      </span>
      <span role="cell" className="num">
        {formatRate(p.rate)}
      </span>
      <span role="cell" className="num" title={`in ${formatBytes(p.bytesIn)}, out ${formatBytes(p.bytesOut)}`}>
        {formatBytes(p.bytesIn + p.bytesOut)}
      </span>
      <span role="cell" className={`num${p.drops > 0 ? ' warn-text' : ''}`}>
        {formatCount(p.drops)}
      </span>
      {expanded && <PeerDetail p={p} now={now} id={detailId} />}
    </div>
  );
});

/** Everything else about a peer, in the row's full width. */
function PeerDetail({ p, now, id }: { p: PeerRow; now: number; id: string }) {
  const d = p.dropsBy;
  const origin = p.isMeshPeer
    ? 'mesh peer: another DERP server of this region'
    : p.isProber
      ? 'prober: a monitoring client'
      : 'client connected here';
  return (
    <div role="cell" id={id} className="peer-detail" data-testid="peer-detail">
      <dl>
        <dt>Connected since</dt>
        <dd>
          {new Date(p.connectedAt).toLocaleString()} ({formatAgo(p.connectedAt, now)})
        </dd>
        <dt>Remote address</dt>
        <dd>
          {formatRemote(p)} over {p.transport}
        </dd>
        <dt>Home</dt>
        <dd>{p.preferred ? 'yes: this relay is its home' : 'no'}</dd>
        <dt>Origin</dt>
        <dd>{origin}</dd>
      </dl>
      <dl>
        <dt>In (sent by it)</dt>
        <dd>
          {formatBytes(p.bytesIn)}, {counted(p.packetsIn, 'packet')}
        </dd>
        <dt>Out (to it)</dt>
        <dd>
          {formatBytes(p.bytesOut)}, {counted(p.packetsOut, 'packet')}
        </dd>
        <dt>Dropped, sent by it</dt>
        <dd>{formatCount(d.unknownDest)} to an unknown destination</dd>
        <dt>Dropped, addressed to it</dt>
        <dd>
          {formatCount(d.queueFull)} queue full, {formatCount(d.writeTimeout)} write timeout
        </dd>
        <dt>Rate limit</dt>
        <dd>paused {counted(p.rateLimitWaits, 'time')} (slows the sender; drops nothing)</dd>
      </dl>
    </div>
  );
}

/** Connected clients; virtualised so that ten thousand rows cost what a screenful does. */
export function PeersTable() {
  const peers = useRelayStore((s) => s.peers);
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'connectedAt', desc: false });
  const rows = useMemo(() => sortAndFilter(peers, filter, sort.key, sort.desc), [peers, filter, sort]);
  const scroller = useRef<HTMLDivElement>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(() => new Set());
  const toggle = useCallback(
    (id: number) =>
      setExpanded((prev) => {
        const next = new Set(prev);
        if (!next.delete(id)) next.add(id);
        return next;
      }),
    [],
  );
  const estimate = (i: number) => (expanded.has(rows[i].id) ? ROW_HEIGHT + DETAIL_HEIGHT : ROW_HEIGHT);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: estimate,
    // Where there is no layout to measure (0), keep the estimate.
    measureElement: (el, _entry, v) => el.getBoundingClientRect().height || estimate(v.indexFromElement(el)),
    overscan: 8,
    getItemKey: (i) => rows[i].id,
  });
  // Sizes are cached per row key: an expanded or collapsed row must be sized again.
  useEffect(() => virtual.measure(), [expanded, virtual]);
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
          style={{ height: Math.max(BODY_MIN, virtual.getTotalSize() + 1) }}
        >
          {rows.length === 0 && (
            <p className="empty">{peers.length ? 'No peer matches the filter.' : 'No clients connected.'}</p>
          )}
          <div className="peer-spacer" style={{ height: virtual.getTotalSize() }}>
            {virtual.getVirtualItems().map((v) => (
              <PeerRowView
                key={v.key}
                p={rows[v.index]}
                now={now}
                index={v.index}
                start={v.start}
                expanded={expanded.has(rows[v.index].id)}
                onToggle={toggle}
                measure={virtual.measureElement}
              />
            ))}
          </div>
        </div>
      </div>
    </section>
  );
}
