/**
 * Connects the feature stores to the API. The stores are the only code that calls the API or listens to its
 * events; each subscribes here once per transport, not when its page mounts, so pages can come and go.
 */
import type { DerpdeskApi } from '../../shared/api.js';
import type { DesktopCommand } from '../../shared/desktop-commands.js';
import { useFileDialogStore } from './components/file-dialog.js';
import { DESKTOP_COMMAND_EVENT } from './desktop-commands.js';
import { useDesktopStore } from './desktop/store.js';
import { useDiagnosticsStore } from './diagnostics/store.js';
import { formatForPath, useMapStore } from './map/store.js';
import { useMonitorStore } from './monitor/store.js';
import { useRelayStore } from './relay/store.js';

/** Subscribes every feature store and loads its data; returns the unsubscribe. */
export function connectStores(api: DerpdeskApi): () => void {
  const offRelay = useRelayStore.getState().connect(api);
  const offDiagnostics = useDiagnosticsStore.getState().connect(api);
  useMapStore.getState().setApi(api);
  const offMonitor = useMonitorStore.getState().connect(api);
  const offDesktop = useDesktopStore.getState().connect(api);
  const onCommand = (e: Event) => runDesktopCommand((e as CustomEvent<DesktopCommand>).detail);
  window.addEventListener(DESKTOP_COMMAND_EVENT, onCommand);
  return () => {
    offRelay();
    offDiagnostics();
    offMonitor();
    offDesktop();
    window.removeEventListener(DESKTOP_COMMAND_EVENT, onCommand);
  };
}

/** The desktop menu's and tray's commands that act on a store (page shortcuts only change the location hash). */
export function runDesktopCommand(command: DesktopCommand): void {
  const map = useMapStore.getState();
  switch (command.type) {
    case 'save-map':
      // Save… of the opened file shows its diff first, as the page's Save does.
      if (map.doc?.path) void map.previewSave();
      else if (map.doc) void saveNewMap();
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

/**
 * Ctrl/Cmd+S on a map with no file yet: the native save dialog (which asked before replacing a file), then the
 * diff, as the page's Save as… shows it.
 */
async function saveNewMap(): Promise<void> {
  const map = useMapStore.getState();
  if (!map.api || !map.doc) return;
  const picked = await useFileDialogStore.getState().choose(map.api, { purpose: 'map', mode: 'save' });
  if ('error' in picked) useMapStore.setState({ message: { kind: 'error', text: picked.error } });
  else if (picked.path) await map.previewSaveAs(picked.path, formatForPath(picked.path) ?? map.doc.format, true);
}

/** After the bridge to the host comes back: events were missed, so fetch what they would have brought. */
export function reloadStores(): void {
  void useRelayStore.getState().reload();
  void useDiagnosticsStore.getState().loadHistory();
  void useMonitorStore.getState().load();
}
