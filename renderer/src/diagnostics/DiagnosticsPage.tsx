import './diagnostics.css';
import { useShallow } from 'zustand/react/shallow';
import { ExportBox } from './ExportBox.js';
import { HealthMap } from './HealthMap.js';
import { History } from './History.js';
import { Compare, Summary } from './Report.js';
import { ResultsTable } from './ResultsTable.js';
import { RunForm } from './RunForm.js';
import { useDiagnosticsStore } from './store.js';

/**
 * Run connectivity checks against a relay or a DERP map, watch them live, and keep a history of runs. The state
 * is the diagnostics store's, so leaving the page neither stops a run nor forgets it.
 */
export function DiagnosticsPage() {
  const { nodes, running, report, compareWith, viewing, viewingLabel } = useDiagnosticsStore(
    useShallow((s) => ({
      nodes: s.nodes,
      running: s.runId !== null,
      report: s.report,
      compareWith: s.compareWith,
      viewing: s.viewing,
      viewingLabel: s.viewingLabel,
    })),
  );
  return (
    <div className="page diagnostics-page">
      <RunForm />
      {nodes.length > 0 && <ResultsTable nodes={nodes} finished={!running} />}
      {nodes.length > 0 && <HealthMap nodes={nodes} />}
      {report && compareWith && viewingLabel !== null && (
        <Compare older={compareWith} newer={{ label: viewingLabel, report }} />
      )}
      {report && <Summary report={report} />}
      {viewing && <ExportBox />}
      <History />
    </div>
  );
}
