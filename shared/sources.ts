/**
 * Where maps and checks are read from, as the API takes them: a map file, URL or text, a whole DERP map (validated
 * field by field against the DerpMap type), or one relay by URL. Apart from api.ts so that the feature types it
 * uses (shared/monitor.ts) can name a source without importing the whole contract.
 */
import type { DerpMap } from './derpmap/model.js';
import {
  anything,
  array,
  boolean,
  number,
  object,
  oneOf,
  record,
  string,
  variant,
  type Infer,
  type Same,
  type Validator,
} from './validate-args.js';

const MAP_SOURCES = {
  file: object({ path: string() }),
  url: object({ url: string() }),
  text: object({ text: string(), name: string() }, { optional: ['name'] }),
};
/** Where the map editor opens a map from. */
export const mapSourceSpec = variant('kind', MAP_SOURCES);
export type MapSourceSpec = Infer<typeof mapSourceSpec>;

/** Caps on a map's size that no real map reaches (Tailscale's own has a few dozen regions). */
const MAX_REGIONS = 10_000;
const MAX_NODES_PER_REGION = 1_000;
const extraFields = record(anything());

/** A DerpMap with every field of its declared type: what a diagnostics run may be given. */

/** A DERP node's fields that a map may leave out (Name, RegionID and HostName it may not). */
const OPTIONAL_NODE_FIELDS = [
  'CertName',
  'IPv4',
  'IPv6',
  'STUNPort',
  'STUNOnly',
  'DERPPort',
  'InsecureForTests',
  'STUNTestIP',
  'CanPort80',
  'extra',
] as const;
const derpMapShape = object(
  {
    HomeParams: object({ RegionScore: record(number()) }, { optional: ['RegionScore'] }),
    Regions: record(
      object(
        {
          RegionID: number(),
          RegionCode: string(),
          RegionName: string(),
          Latitude: number(),
          Longitude: number(),
          Avoid: boolean(),
          NoMeasureNoHome: boolean(),
          Nodes: array(
            object(
              {
                Name: string(),
                RegionID: number(),
                HostName: string(),
                CertName: string(),
                IPv4: string(),
                IPv6: string(),
                STUNPort: number(),
                STUNOnly: boolean(),
                DERPPort: number(),
                InsecureForTests: boolean(),
                STUNTestIP: string(),
                CanPort80: boolean(),
                extra: extraFields,
              },
              { optional: OPTIONAL_NODE_FIELDS },
            ),
            { max: MAX_NODES_PER_REGION },
          ),
          extra: extraFields,
        },
        { optional: ['Latitude', 'Longitude', 'Avoid', 'NoMeasureNoHome', 'extra'] },
      ),
      { max: MAX_REGIONS },
    ),
    OmitDefaultRegions: boolean(),
    extra: extraFields,
  },
  { optional: ['HomeParams', 'OmitDefaultRegions', 'extra'] },
);
/** Compile-time: the validator checks exactly the DerpMap type (a field added to one must be added to the other). */
const derpMapMatchesModel: Same<Infer<typeof derpMapShape>, DerpMap> = true;
void derpMapMatchesModel;
export const derpMap: Validator<DerpMap> = derpMapShape;

/**
 * A DerpMap as the editor holds it: shaped like one (regions, node lists, no unknown fields outside `extra`), but a
 * field may hold what was typed or read, of any type and possibly missing: validateMap names those mistakes to the
 * user, and save refuses them. Diff and export previews still work meanwhile.
 */
export const editedDerpMap: Validator<DerpMap> = (() => {
  const any = anything();
  const node = object(
    {
      Name: any,
      RegionID: any,
      HostName: any,
      CertName: any,
      IPv4: any,
      IPv6: any,
      STUNPort: any,
      STUNOnly: any,
      DERPPort: any,
      InsecureForTests: any,
      STUNTestIP: any,
      CanPort80: any,
      extra: extraFields,
    },
    {
      optional: ['Name', 'RegionID', 'HostName', ...OPTIONAL_NODE_FIELDS],
    },
  );
  const region = object(
    {
      RegionID: any,
      RegionCode: any,
      RegionName: any,
      Latitude: any,
      Longitude: any,
      Avoid: any,
      NoMeasureNoHome: any,
      Nodes: array(node, { max: MAX_NODES_PER_REGION }),
      extra: extraFields,
    },
    {
      optional: ['RegionID', 'RegionCode', 'RegionName', 'Latitude', 'Longitude', 'Avoid', 'NoMeasureNoHome', 'extra'],
    },
  );
  const map = object(
    {
      HomeParams: object({ RegionScore: any }, { optional: ['RegionScore'] }),
      Regions: record(region, { max: MAX_REGIONS }),
      OmitDefaultRegions: any,
      extra: extraFields,
    },
    { optional: ['HomeParams', 'OmitDefaultRegions', 'extra'] },
  );
  return map as Validator<DerpMap>;
})();

/** What a diagnostics run checks: a map (file, URL, pasted, or the editor's), or one relay by URL. */
export const checkSource = variant('kind', {
  ...MAP_SOURCES,
  relay: object({ url: string(), stunPort: number({ int: true, min: -1, max: 65535 }) }, { optional: ['stunPort'] }),
  /** A map given whole; `scheme` http for plain-HTTP relays (this app's relay with TLS off). */
  map: object({ map: derpMap, label: string(), scheme: oneOf('https', 'http') }, { optional: ['scheme'] }),
});
export type CheckSource = Infer<typeof checkSource>;
