import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { AllowListFile, TrustSnapshot } from '../../../shared/api.js';
import { checkAllowListText } from '../../../shared/settings.js';
import { formatAgo, formatCount, shortNodeKey } from '../format.js';
import { useRelayStore } from './store.js';

const REFRESH_MS = 2000;

/** Mesh links, refused clients and the allowlist: who may use this relay and whom it forwards for. */
export function TrustPanel() {
  const { api, running } = useRelayStore(useShallow((s) => ({ api: s.api, running: s.state.status === 'running' })));
  const [trust, setTrust] = useState<TrustSnapshot | null>(null);
  useEffect(() => {
    if (!api) return;
    let live = true;
    const load = () => void api.call('trust.get').then((t) => live && setTrust(t), () => {});
    load();
    const t = running ? setInterval(load, REFRESH_MS) : null;
    return () => {
      live = false;
      if (t) clearInterval(t);
    };
  }, [api, running]);
  const now = Date.now();
  return (
    <section className="card" aria-labelledby="trust-heading">
      <h2 id="trust-heading">Mesh and access</h2>
      <h3>Mesh peers</h3>
      {trust && trust.mesh.length > 0 ? (
        <table className="simple" data-testid="mesh-links">
          <thead>
            <tr>
              <th>Peer</th>
              <th>Link</th>
              <th className="num">Clients there</th>
              <th className="num">Forwarded out</th>
            </tr>
          </thead>
          <tbody>
            {trust.mesh.map((l) => (
              <tr key={l.url}>
                <td>{l.url}</td>
                <td className={`link-${l.state}`} title={l.lastError ?? ''}>
                  {l.state}
                  {l.state !== 'up' && l.lastError ? `: ${l.lastError}` : ''}
                </td>
                <td className="num">{l.remoteClients}</td>
                <td className="num">{formatCount(l.forwardedOut)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">Not meshed. Set a mesh key file and peers in the settings to share clients with other servers of the region.</p>
      )}
      {trust && (
        <p className="muted">
          Forwarded through the mesh: {formatCount(trust.forwardedOut)} packets out, {formatCount(trust.forwardedIn)} in.
        </p>
      )}
      <h3>Refused clients</h3>
      {trust && trust.denied.length > 0 ? (
        <table className="simple" data-testid="denied-clients">
          <thead>
            <tr>
              <th>When</th>
              <th>Node key</th>
              <th>Address</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {[...trust.denied].reverse().map((d, i) => (
              <tr key={`${d.at}-${i}`}>
                <td>{formatAgo(d.at, now)}</td>
                <td>
                  <code title={d.key}>{shortNodeKey(d.key)}</code>
                </td>
                <td>{d.remoteAddress}</td>
                <td>{d.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No client has been refused.</p>
      )}
      <AllowListEditor />
    </section>
  );
}

function AllowListEditor() {
  const { api, settings } = useRelayStore(useShallow((s) => ({ api: s.api, settings: s.settings })));
  const [file, setFile] = useState<AllowListFile | null>(null);
  const [text, setText] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const [serverProblems, setServerProblems] = useState<string[]>([]);
  const configured = !!settings?.settings.allowKeysFile;
  useEffect(() => {
    if (!api || !configured) return;
    void api.call('allowlist.get').then((f) => {
      setFile(f);
      setText(f?.text ?? '');
    });
  }, [api, configured, settings]);
  if (!configured) return <p className="muted">No allowlist: every client the verify URL (if any) admits may connect.</p>;
  const problems = [...checkAllowListText(text), ...serverProblems];
  return (
    <div className="allowlist">
      <h3>
        <label htmlFor="allowlist-text">Allowlist</label> <span className="muted">{file?.file}</span>
      </h3>
      <textarea
        id="allowlist-text"
        rows={6}
        spellCheck={false}
        value={text}
        placeholder={'# one node key per line\nnodekey:0123…'}
        onChange={(e) => {
          setText(e.target.value);
          setServerProblems([]);
          setResult(null);
        }}
      />
      {problems.map((p) => (
        <p key={p} className="field-error" data-testid="allowlist-problem">
          {p}
        </p>
      ))}
      <div className="actions">
        <button
          type="button"
          disabled={problems.length > 0}
          onClick={() =>
            void api!.call('allowlist.save', text).then((r) => {
              if (r.ok) setResult('Saved; the relay applies it within a second.');
              else setServerProblems(r.problems);
            })
          }
        >
          Save allowlist
        </button>
        {result && (
          <span className="ok" role="status">
            {result}
          </span>
        )}
      </div>
    </div>
  );
}
