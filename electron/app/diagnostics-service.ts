/**
 * Diagnostics runs for the GUI: started in the background with progress events, cancellable, and kept in a
 * bounded history file in the data directory (atomic writes), exportable as JSON, CSV or Markdown.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CheckHistoryEntry, CheckRequest, ExportFormat } from '../../shared/api.js';
import { runTally, type CheckReport } from '../../shared/diagnostics.js';
import { runChecks } from '../diagnostics/engine.js';
import { formatReport } from '../diagnostics/report.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { loadSource, sourceLabel } from './check-source.js';
import { refuseAllPaths } from './path-guard.js';
import type { ApiEventEmitter } from './events.js';
import { errorMessage } from '../../shared/errors.js';

const MAX_HISTORY = 50;

interface Stored {
  entry: CheckHistoryEntry;
  report: CheckReport;
}

export class DiagnosticsService {
  private readonly file: string;
  private history: Stored[] | null = null;
  private readonly running = new Map<string, AbortController>();

  constructor(
    dataDir: string,
    private readonly events: ApiEventEmitter,
  ) {
    this.file = path.join(dataDir, 'diagnostics-history.json');
  }

  private async load(): Promise<Stored[]> {
    if (this.history) return this.history;
    try {
      const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as unknown;
      this.history = Array.isArray(parsed) ? (parsed as Stored[]) : [];
    } catch {
      // A missing or unreadable history starts empty; it is a cache of past runs, not settings.
      this.history = [];
    }
    return this.history;
  }

  async run(req: CheckRequest): Promise<{ runId: string }> {
    const runId = randomBytes(6).toString('hex');
    // A file comes already read through the path guard (handlers/diagnostics.ts), as a map: none is opened here.
    const target = await loadSource(req.source, refuseAllPaths);
    const label = sourceLabel(req.source);
    const previous = (await this.load()).find((h) => h.entry.label === label)?.report.summary.preferredRegion ?? null;
    const ctl = new AbortController();
    this.running.set(runId, ctl);
    void runChecks(target.map, {
      previousPreferred: previous,
      region: req.region,
      node: req.node,
      bandwidthBytes: req.bandwidthBytes,
      scheme: target.scheme,
      signal: ctl.signal,
      onStep: (node) => this.events.emit('diagnostics.progress', { runId, node: structuredClone(node) }),
    })
      .then(async (report) => {
        const steps = report.nodes.flatMap((n) => n.steps);
        const entry: CheckHistoryEntry = {
          id: runId,
          label,
          startedAt: report.startedAt,
          finishedAt: report.finishedAt,
          nodes: report.nodes.length,
          fails: steps.filter((s) => s.status === 'fail').length,
          warns: steps.filter((s) => s.status === 'warn').length,
          regionLatencyMs: report.summary.regionLatencyMs,
          regionNames: Object.fromEntries(
            (report.summary.regionLatency ?? []).map((r) => [String(r.regionId), { code: r.code, name: r.name }]),
          ),
        };
        const h = await this.load();
        h.unshift({ entry, report });
        h.length = Math.min(h.length, MAX_HISTORY);
        await writeFileAtomic(this.file, JSON.stringify(h));
        this.events.emit('diagnostics.done', { runId, entry });
      })
      .catch((err: unknown) => this.events.emit('diagnostics.done', { runId, entry: null, error: errorMessage(err) }))
      .finally(() => this.running.delete(runId));
    return { runId };
  }

  cancel(runId: string): boolean {
    const ctl = this.running.get(runId);
    ctl?.abort();
    return !!ctl;
  }

  async list(): Promise<CheckHistoryEntry[]> {
    return (await this.load()).map((s) => s.entry);
  }

  async get(id: string): Promise<Stored | null> {
    return (await this.load()).find((s) => s.entry.id === id) ?? null;
  }

  async export(id: string, format: ExportFormat): Promise<string> {
    const s = await this.get(id);
    if (!s) throw new Error(`no diagnostics run ${id}`);
    if (format === 'json') return JSON.stringify(s.report, null, 2) + '\n';
    const rows = s.report.nodes.flatMap((n) =>
      n.steps.map((st) => [
        String(n.regionId),
        n.regionCode,
        n.node,
        n.host,
        st.step,
        st.status,
        st.ms === undefined ? '' : String(st.ms),
        st.detail,
        st.advice ?? '',
      ]),
    );
    if (format === 'csv') {
      const q = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
      return (
        ['region,code,node,host,step,status,ms,detail,advice', ...rows.map((r) => r.map(q).join(','))].join('\n') + '\n'
      );
    }
    const cell = (v: string) => v.replace(/\|/g, '\\|');
    return [
      `# derpdesk check: ${s.entry.label}`,
      '',
      `${new Date(s.entry.startedAt).toISOString()} · ${runTally(s.entry)}`,
      '',
      '| region | node | step | status | ms | detail |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r[1]} | ${r[2]} | ${r[4]} | ${r[5]} | ${r[6]} | ${cell(r[7])} |`),
      '',
      '```',
      formatReport(s.report, s.entry.label).trimEnd(),
      '```',
      '',
    ].join('\n');
  }
}
