/**
 * The map work that can take seconds on a large map (parsing, validating, rendering, diffing), as plain functions
 * of plain data so they can run in the map worker, off the event loop the relay shares with the app.
 */
import type { MapSaveRequest } from '../../shared/api.js';
import type { DerpMap } from '../../shared/derpmap/model.js';
import { validateMap, type MapIssue } from '../../shared/derpmap/validate.js';
import { parseHeadscaleConfig, type HeadscaleConfig } from '../derpmap/headscale-config.js';
import type { HeadscaleDerpSection } from '../../shared/derpmap/headscale.js';
import { renderHeadscaleDerp, type RenderedDerpSection } from './map-headscale-render.js';
import { checkMapSize, parseMap, serializeMap, type LoadedMap, type MapFormat } from '../derpmap/formats.js';
import { unifiedDiff } from '../util/line-diff.js';
import { renderedMapProblem } from './map-content.js';

export interface ParsedMap {
  map: DerpMap;
  format: MapFormat;
  issues: MapIssue[];
  /** JSON rewritten canonically, when asked for: a fetched map has no file whose bytes must survive. */
  canonicalJson?: string;
}

/** The new text: YAML edits the text that was opened (comments survive), JSON is written canonically. */
function render(req: { map: DerpMap; format: MapFormat; baseText: string }): string {
  checkMapSize(req.baseText, 'the opened text');
  const sameFormatYaml =
    req.format === 'yaml' && req.baseText.trim() !== '' && !req.baseText.trimStart().startsWith('{');
  const text = serializeMap(req.map, req.format, sameFormatYaml ? req.baseText : undefined);
  checkMapSize(text, 'the edited map');
  return text;
}

export const mapJobs = {
  // Without the source: the caller has the text already, and copying 4 MiB back is not free.
  parse: (text: string, name: string): LoadedMap => {
    const { map, format } = parseMap(text, name);
    return { map, format };
  },
  open: (text: string, name: string, rewriteJson = false): ParsedMap => {
    const { map, format } = parseMap(text, name);
    return {
      map,
      format,
      issues: validateMap(map),
      ...(rewriteJson && format === 'json' ? { canonicalJson: serializeMap(map, 'json') } : {}),
    };
  },
  validate: (map: DerpMap): MapIssue[] => validateMap(map),
  /** The text a save writes, refused unless it reads back as exactly the map being saved (map-content.ts). */
  renderForSave: (req: MapSaveRequest): { ok: true; text: string } | { ok: false; error: string } => {
    const text = render(req);
    const problem = renderedMapProblem(text, req.map, req.path);
    return problem ? { ok: false, error: problem } : { ok: true, text };
  },
  diff: (req: MapSaveRequest): string => unifiedDiff(req.baseText, render(req), req.path),
  export: (map: DerpMap, format: MapFormat): string => {
    const text = serializeMap(map, format);
    checkMapSize(text, 'the exported map');
    return text;
  },
  headscaleConfig: (text: string, file: string): HeadscaleConfig => parseHeadscaleConfig(text, file),
  /** config.yaml with an edited derp section, checked to differ from the original in that section only. */
  headscaleDerpRender: (text: string, derp: HeadscaleDerpSection, file: string): RenderedDerpSection =>
    renderHeadscaleDerp(text, derp, file),
};

export type MapJobs = typeof mapJobs;
export type MapJobName = keyof MapJobs;
