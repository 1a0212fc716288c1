/**
 * Connects the feature stores to the API. The stores are the only code that calls the API or listens to its
 * events; each subscribes here once per transport, not when its page mounts, so pages can come and go.
 */
import type { DerpdeskApi } from '../../shared/api.js';
import { useDiagnosticsStore } from './diagnostics/store.js';
import { useMapStore } from './map/store.js';
import { useMonitorStore } from './monitor/store.js';
import { useRelayStore } from './relay/store.js';

/** Subscribes every feature store and loads its data; returns the unsubscribe. */
export function connectStores(api: DerpdeskApi): () => void {
  const offRelay = useRelayStore.getState().connect(api);
  const offDiagnostics = useDiagnosticsStore.getState().connect(api);
  useMapStore.getState().setApi(api);
  const offMonitor = useMonitorStore.getState().connect(api);
  return () => {
    offRelay();
    offDiagnostics();
    offMonitor();
  };
}

/** After the bridge to the host comes back: events were missed, so fetch what they would have brought. */
export function reloadStores(): void {
  void useRelayStore.getState().reload();
  void useDiagnosticsStore.getState().loadHistory();
  void useMonitorStore.getState().load();
}
