import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState } from 'react';
import { formatAgo, formatBytes, formatCount, formatRate, shortNodeKey } from '../format.js';
import { useRelayStore, type PeerRow } from '../store/relay.js';

type SortKey = 'key' | 'remote' | 'connectedAt' | 'preferred' | 'bytesIn' | 'bytesOut' | 'packetsIn' | 'packetsOut' | 'rate' | 'drops';

const COLUMNS: Array<{ key: SortKey; label: string; numeric?: boolean }> = [
  { key: 'key', label: 'Node key' },
  { key: 'remote', label: 'Remote address' },
  { key: 'connectedAt', label: 'Connected' },
  { key: 'preferred', label: 'Home' },
  { key: 'bytesIn', label: 'Bytes in', numeric: true },
  { key: 'bytesOut', label: 'Bytes out', numeric: true },
  { key: 'packetsIn', label: 'Packets in', numeric: true },
  { key: 'packetsOut', label: 'Packets out', numeric: true },
  { key: 'rate', label: 'Rate', numeric: true },
  { key: 'drops', label: 'Drops', numeric: true },
];

const ROW_HEIGHT = 34;

function sortValue(p: PeerRow, k: SortKey): string | number {
  switch (k) {
    case 'remote':
      return `${p.remoteAddress}:${String(p.remotePort).padStart(5, '0')}`;
    case 'preferred':
      return p.preferred ? 1 : 0;
    default:
      return p[k];
  }
}

export function sortAndFilter(peers: PeerRow[], filter: string, key: SortKey, desc: boolean): PeerRow[] {
  const f = filter.trim().toLowerCase();
  const rows = f ? peers.filter((p) => p.key.toLowerCase().includes(f) || `${p.remoteAddress}:${p.remotePort}`.includes(f)) : peers.slice();
  rows.sort((a, b) => {
    const va = sortValue(a, key);
    const vb = sortValue(b, key);
    const c = va < vb ? -1 : va > vb ? 1 : a.id - b.id;
    return desc ? -c : c;
  });
  return rows;
}

/** Connected clients; virtualised so that ten thousand rows cost what a screenful does. */
export function PeersTable() {
  const peers = useRelayStore((s) => s.peers);
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'connectedAt', desc: false });
  const [copied, setCopied] = useState<string | null>(null);
  const rows = useMemo(() => sortAndFilter(peers, filter, sort.key, sort.desc), [peers, filter, sort]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 8 });
  const now = Date.now();

  const copy = (key: string) => {
    void navigator.clipboard?.writeText(key).then(
      () => setCopied(key),
      () => setCopied(null),
    );
  };

  return (
    <section className="card" aria-labelledby="peers-heading">
      <div className="table-head">
        <h2 id="peers-heading">Peers</h2>
        <span data-testid="peers-count" className="muted">
          {rows.length} {rows.length === 1 ? 'peer' : 'peers'}
          {filter && rows.length !== peers.length ? ` of ${peers.length}` : ''}
        </span>
        <input type="search" aria-label="Filter peers by key or address" placeholder="Filter by key or address" value={filter} onChange={(e) => setFilter(e.target.value)} />
      </div>
      <div className="peers" role="table" aria-label="Connected peers" aria-rowcount={rows.length + 1} data-testid="peers-table">
        <div className="peers-inner">
        <div className="peer-grid peer-header" role="row">
          {COLUMNS.map((c) => (
            <span key={c.key} role="columnheader" aria-sort={sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none'} className={c.numeric ? 'num' : ''}>
              <button type="button" onClick={() => setSort({ key: c.key, desc: sort.key === c.key ? !sort.desc : !!c.numeric })}>
                {c.label}
                {sort.key === c.key ? (sort.desc ? ' ▼' : ' ▲') : ''}
              </button>
            </span>
          ))}
        </div>
        <div className="peer-body" ref={scroller}>
          {rows.length === 0 && <p className="empty">No clients connected.</p>}
          <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
            {virtual.getVirtualItems().map((v) => {
              const p = rows[v.index];
              return (
                <div key={p.id} className="peer-grid peer-row" role="row" data-testid="peer-row" style={{ transform: `translateY(${v.start}px)`, height: ROW_HEIGHT }}>
                  <span role="cell" className="keycell">
                    <code title={p.key}>{shortNodeKey(p.key)}</code>
                    <button type="button" className="copy" aria-label={`Copy ${p.key}`} onClick={() => copy(p.key)}>
                      {copied === p.key ? 'Copied' : 'Copy'}
                    </button>
                    {p.isMeshPeer && <span className="tag">mesh</span>}
                    {p.isProber && <span className="tag">prober</span>}
                    {p.inactiveDuplicate && <span className="tag warn">inactive duplicate</span>}
                  </span>
                  <span role="cell">
                    {p.remoteAddress.includes(':') ? `[${p.remoteAddress}]` : p.remoteAddress}:{p.remotePort}
                  </span>
                  <span role="cell" title={new Date(p.connectedAt).toISOString()}>
                    {formatAgo(p.connectedAt, now)}
                  </span>
                  <span role="cell">{p.preferred ? 'yes' : 'no'}</span>
                  <span role="cell" className="num">{formatBytes(p.bytesIn)}</span>
                  <span role="cell" className="num">{formatBytes(p.bytesOut)}</span>
                  <span role="cell" className="num">{formatCount(p.packetsIn)}</span>
                  <span role="cell" className="num">{formatCount(p.packetsOut)}</span>
                  <span role="cell" className="num">{formatRate(p.rate)}</span>
                  <span role="cell" className="num">{formatCount(p.drops)}</span>
                </div>
              );
            })}
          </div>
        </div>
        </div>
      </div>
    </section>
  );
}
