/** The Monitor page's calls: start and stop monitoring, its state, and the per-node history. */
import type { HandlersOf } from '../../../shared/api.js';
import type { MonitorService } from '../../monitor/service.js';

export type MonitorHandlers = HandlersOf<'monitor'>;

export function monitorHandlers(deps: { monitor: MonitorService }): MonitorHandlers {
  const { monitor } = deps;
  return {
    'monitor.start': (req) => monitor.start(req),
    'monitor.stop': () => monitor.stop(),
    'monitor.status': async () => monitor.status(),
    'monitor.history': (hours) => monitor.historyFor(hours),
  };
}
