import { useShallow } from 'zustand/react/shallow';
import type { TrustSnapshot } from '../../../shared/api.js';
import { counted, formatAgo, formatCount, shortNodeKey } from '../format.js';
import { AllowListEditor } from './AllowListEditor.js';
import { useRelayStore } from './store.js';

function MeshLinks({ trust }: { trust: TrustSnapshot | null }) {
  if (!trust || trust.mesh.length === 0)
    return (
      <p className="muted">
        Not meshed. Set a mesh key file and peers in the settings to share clients with other servers of the region.
      </p>
    );
  return (
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
  );
}

function DeniedClients({ trust }: { trust: TrustSnapshot | null }) {
  if (!trust || trust.denied.length === 0) return <p className="muted">No client has been refused.</p>;
  const now = Date.now();
  return (
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
  );
}

/** Mesh links, refused clients and the allowlist: who may use this relay and whom it forwards for. */
export function TrustPanel() {
  const { trust, error } = useRelayStore(useShallow((s) => ({ trust: s.trust, error: s.trustError })));
  return (
    <section className="card" aria-labelledby="trust-heading">
      <h2 id="trust-heading">Mesh and access</h2>
      {error && (
        <p className="error" data-testid="trust-error">
          {error}
        </p>
      )}
      <h3>Mesh peers</h3>
      <MeshLinks trust={trust} />
      {trust && (
        <p className="muted">
          Forwarded through the mesh: {counted(trust.forwardedOut, 'packet')} out, {formatCount(trust.forwardedIn)} in.
        </p>
      )}
      <h3>Refused clients</h3>
      <DeniedClients trust={trust} />
      <AllowListEditor />
    </section>
  );
}
