/**
 * Prometheus text exposition of the relay's counters under derper's metric names (its expvar "derp" set as
 * tsweb renders it), so existing dashboards and alerts keep working when derpdesk replaces derper.
 */
import { DROP_REASONS, type RelayStats } from '../../shared/relay.js';

type MetricType = 'counter' | 'gauge';

class PromWriter {
  private readonly lines: string[] = [];

  metric(name: string, type: MetricType, value: number): void {
    this.lines.push(`# TYPE ${name} ${type}`, `${name} ${value}`);
  }

  labelled(name: string, type: MetricType, samples: Array<[Record<string, string>, number]>): void {
    this.lines.push(`# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      this.lines.push(`${name}{${l}} ${value}`);
    }
  }

  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

export function renderDerpVarz(s: RelayStats, extra: string[] = []): string {
  const w = new PromWriter();
  const c = s.counters;
  const g = s.gauges;
  w.metric('derp_accepts', 'counter', c.accepts);
  w.metric('derp_bytes_received', 'counter', c.bytesReceived);
  w.metric('derp_bytes_sent', 'counter', c.bytesSent);
  w.metric('derp_packets_received', 'counter', c.packetsReceived);
  w.metric('derp_packets_sent', 'counter', c.packetsSent);
  w.labelled('derp_packets_received_kind', 'counter', [
    [{ kind: 'disco' }, c.packetsReceivedDisco],
    [{ kind: 'other' }, c.packetsReceivedOther],
  ]);
  const dropped: Array<[Record<string, string>, number]> = [];
  const droppedBytes: Array<[Record<string, string>, number]> = [];
  for (const reason of DROP_REASONS) {
    for (const kind of ['disco', 'other'] as const) {
      dropped.push([{ kind, reason }, c.dropped[reason][kind].packets]);
      droppedBytes.push([{ kind, reason }, c.dropped[reason][kind].bytes]);
    }
  }
  w.labelled('derp_packets_dropped', 'counter', dropped);
  w.labelled('derp_bytes_dropped', 'counter', droppedBytes);
  w.metric('derp_current_connections', 'gauge', g.currentConnections);
  w.metric('derp_current_home_connections', 'gauge', g.currentHomeConnections);
  w.metric('derp_current_notideal_connections', 'gauge', g.currentNotIdealConnections);
  w.metric('derp_clients_local', 'gauge', g.clientsLocal);
  w.metric('derp_clients_total', 'gauge', g.clientsLocal + g.clientsRemote);
  w.metric('derp_clients_remote', 'gauge', g.clientsRemote);
  w.metric('derp_current_dup_client_keys', 'gauge', g.dupClientKeys);
  w.metric('derp_current_dup_client_conns', 'gauge', g.dupClientConns);
  w.metric('derp_total_dup_client_conns', 'counter', c.dupClientConnTotal);
  w.metric('derp_watchers', 'gauge', g.watchers);
  w.metric('derp_unknown_frames', 'counter', c.unknownFrames);
  w.metric('derp_home_moves_in', 'counter', c.homeMovesIn);
  w.metric('derp_home_moves_out', 'counter', c.homeMovesOut);
  w.metric('derp_got_ping', 'counter', c.gotPing);
  w.metric('derp_sent_pong', 'counter', c.sentPong);
  w.metric('derp_peer_gone_disconnected_frames', 'counter', c.peerGoneDisconnectedFrames);
  w.metric('derp_peer_gone_not_here_frames', 'counter', c.peerGoneNotHereFrames);
  w.metric('derp_packets_forwarded_out', 'counter', c.packetsForwardedOut);
  w.metric('derp_packets_forwarded_in', 'counter', c.packetsForwardedIn);
  w.metric('derp_sclient_write_timeouts', 'counter', c.writeTimeouts);
  w.metric('derp_rate_limit_per_client_waited', 'counter', c.rateLimitPerClientWaited);
  w.metric('derp_rate_limit_global_waited', 'counter', c.rateLimitGlobalWaited);
  w.metric('derpdesk_accepts_rate_limited', 'counter', c.acceptsRateLimited);
  w.metric('derpdesk_handshake_failures', 'counter', c.handshakeFailures);
  w.metric('derpdesk_clients_denied', 'counter', c.clientsDenied);
  w.metric('derpdesk_mesh_links', 'gauge', g.meshLinks);
  return w.text() + extra.join('');
}
