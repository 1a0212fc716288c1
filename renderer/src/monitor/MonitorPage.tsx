import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { NodeState } from '../../../shared/monitor.js';
import { MonitorForm } from './MonitorForm.js';
import { AvailabilityStrip, LatencyChart } from './NodeHistoryView.js';
import { noticeText } from './notifier.js';
import { useMonitorStore } from './store.js';
import './monitor.css';

const when = (t: number) => new Date(t).toLocaleString();

/** The notices the notifier could not show, newest first, each dismissable; and the offer to allow notifications. */
function Banners() {
  const { banners, dismiss } = useMonitorStore(useShallow((s) => ({ banners: s.banners, dismiss: s.dismiss })));
  const [permission, setPermission] = useState(
    typeof Notification === 'undefined' ? 'denied' : Notification.permission,
  );
  return (
    <>
      {permission === 'default' && (
        <p className="muted">
          <button type="button" onClick={() => void Notification.requestPermission().then(setPermission)}>
            Allow desktop notifications
          </button>{' '}
          to hear about nodes that fail while this page is in the background.
        </p>
      )}
      {banners.map((b, i) => {
        const { title, body } = noticeText(b);
        return (
          <div key={`${b.at}-${b.node}-${i}`} className={`notice ${b.to}`} role="alert" data-testid="monitor-notice">
            <strong>{title}</strong> <span>{body}</span> <span className="muted">{when(b.at)}</span>
            <button type="button" aria-label="Dismiss" onClick={() => dismiss(i)}>
              ×
            </button>
          </div>
        );
      })}
    </>
  );
}

function Failing({ nodes }: { nodes: NodeState[] }) {
  const diagnose = useMonitorStore((s) => s.diagnose);
  const failing = nodes.filter((n) => n.status === 'failing');
  return (
    <section className="card" aria-label="Failing now" data-testid="monitor-failing">
      <h2>Failing now ({failing.length})</h2>
      {failing.length === 0 && <p className="muted">No node is failing.</p>}
      {failing.map((n) => (
        <div key={`${n.regionId}/${n.node}`} className="failing-node">
          <h3>
            {n.regionCode}/{n.node} <span className="muted">{n.host}</span>
          </h3>
          <p className="muted">failing since {n.failingSince === null ? '—' : when(n.failingSince)}</p>
          <ul>
            {n.failures.map((f) => (
              <li key={f.probe}>
                <code>{f.probe}</code>: {f.error}
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => diagnose(n)}>
            Diagnose {n.node}
          </button>
        </div>
      ))}
    </section>
  );
}

function Nodes({ nodes }: { nodes: NodeState[] }) {
  const history = useMonitorStore((s) => s.history);
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(t);
  }, []);
  return (
    <section className="card" aria-label="Nodes" data-testid="monitor-nodes">
      <h2>Nodes</h2>
      {nodes.length === 0 && <p className="muted">Start monitoring to see the nodes of a map.</p>}
      {nodes.map((n) => {
        const h = history.find((x) => x.regionId === n.regionId && x.node === n.node)?.buckets ?? [];
        return (
          <div key={`${n.regionId}/${n.node}`} className="monitor-node" data-testid="monitor-node">
            <div className="node-head">
              <span className={`dot ${n.status}`} aria-hidden="true" />
              <strong>
                {n.regionCode}/{n.node}
              </strong>
              <span className="muted">{n.host}</span>
              <span className={`status ${n.status}`}>{n.status}</span>
              <span className="muted">{n.latencyMs === null ? '' : `round trip ${n.latencyMs} ms`}</span>
            </div>
            <AvailabilityStrip buckets={h} now={now} />
            <LatencyChart buckets={h} now={now} />
          </div>
        );
      })}
    </section>
  );
}

/** derpprobe in the app: what to monitor, notices, the failing nodes first, then every node's day. */
export function MonitorPage() {
  const nodes = useMonitorStore((s) => s.snapshot?.nodes ?? []);
  return (
    <div className="monitor-page">
      <MonitorForm />
      <Banners />
      <Failing nodes={nodes} />
      <Nodes nodes={nodes} />
    </div>
  );
}
