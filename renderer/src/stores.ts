/**
 * Connects the feature stores to the API. The stores are the only code that calls the API or listens to its
 * events; each subscribes here once per transport, not when its page mounts, so pages can come and go.
 */
import type { DerpdeskApi } from '../../shared/api.js';
import type { DesktopCommand } from '../../shared/desktop-commands.js';
import { DESKTOP_COMMAND_EVENT } from './desktop-commands.js';
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
  const onCommand = (e: Event) => runDesktopCommand((e as CustomEvent<DesktopCommand>).detail);
  window.addEventListener(DESKTOP_COMMAND_EVENT, onCommand);
  return () => {
    offRelay();
    offDiagnostics();
    offMonitor();
    window.removeEventListener(DESKTOP_COMMAND_EVENT, onCommand);
  };
}

/** The desktop menu's and tray's commands that act on a store (page shortcuts only change the location hash). */
export function runDesktopCommand(command: DesktopCommand): void {
  const map = useMapStore.getState();
  switch (command.type) {
    case 'save-map':
      // Save… of the opened file shows its diff first; a map without a file has Save as… on its page instead.
      if (map.doc?.path) void map.previewSave();
      return;
    case 'undo':
      map.undo();
      return;
    case 'redo':
      map.redo();
      return;
    case 'open-map':
      void map.open({ kind: 'file', path: command.path });
      return;
    case 'check-relay':
      void useDiagnosticsStore.getState().checkThisRelay();
      return;
    case 'navigate':
      return;
  }
}

/** After the bridge to the host comes back: events were missed, so fetch what they would have brought. */
export function reloadStores(): void {
  void useRelayStore.getState().reload();
  void useDiagnosticsStore.getState().loadHistory();
  void useMonitorStore.getState().load();
}
