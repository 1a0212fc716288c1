/**
 * The one table of calls (CALLS): dispatch refuses any argument that does not fit a call's validators, nested
 * fields included, with one error shape naming the call and the argument path, before a handler runs.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { BadRequestError, dispatch } from '../../electron/app/dispatch.js';
import {
  CALLS,
  CALL_NAMES,
  type ApiHandlers,
  type CallArgs,
  type CheckRequest,
  type HandlersOf,
  type MapSourceSpec,
} from '../../shared/api.js';
import type { DerpMap } from '../../shared/derpmap/model.js';
import type { RelaySettings } from '../../shared/settings.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';

function recordingHandlers() {
  const calls: Array<[string, unknown[]]> = [];
  const handlers = Object.fromEntries(
    CALL_NAMES.map((n) => [
      n,
      async (...args: unknown[]) => {
        calls.push([n, args]);
        return 'ran';
      },
    ]),
  ) as unknown as ApiHandlers;
  return { handlers, calls };
}

const node = { Name: '900a', RegionID: 900, HostName: 'derp.example.com' };
const map = (over: Record<string, unknown> = {}) => ({
  Regions: { '900': { RegionID: 900, RegionCode: 'x', RegionName: 'X', Nodes: [{ ...node, ...over }] } },
});

describe('the CALLS table', () => {
  it('names every call once, and the names are the table', () => {
    expect(CALL_NAMES).toEqual(Object.keys(CALLS));
    expect(new Set(CALL_NAMES).size).toBe(CALL_NAMES.length);
  });

  it('gives each call the argument types its validators check (checked by the typecheck)', () => {
    expectTypeOf<CallArgs<'map.export'>>().toEqualTypeOf<[DerpMap, 'yaml' | 'json']>();
    expectTypeOf<CallArgs<'settings.save'>>().toEqualTypeOf<[Partial<RelaySettings>]>();
    expectTypeOf<CallArgs<'diagnostics.export'>>().toEqualTypeOf<[string, 'json' | 'csv' | 'markdown']>();
    expectTypeOf<CallArgs<'relay.getState'>>().toEqualTypeOf<[]>();
    expectTypeOf<MapSourceSpec>().toEqualTypeOf<
      { kind: 'file'; path: string } | { kind: 'url'; url: string } | { kind: 'text'; text: string; name?: string }
    >();
    expectTypeOf<CheckRequest['bandwidthBytes']>().toEqualTypeOf<number | undefined>();
    // A feature's handlers must cover every call of its prefix: a missing one does not compile.
    // @ts-expect-error files.choose is missing
    const partial: HandlersOf<'files'> = { 'files.canChoose': async () => true };
    expect(partial).toBeDefined();
  });
});

describe('dispatch', () => {
  it('runs the handler with arguments that fit', async () => {
    const { handlers, calls } = recordingHandlers();
    const ok: Array<[string, unknown[]]> = [
      ['map.export', [map(), 'json']],
      // The editor's map may hold what was typed (validateMap names it); its shape is still a map's.
      ['map.export', [map({ DERPPort: '44x', HostName: null }), 'yaml']],
      ['map.open', [{ kind: 'text', text: 'regions: {}', name: undefined }]],
      [
        'diagnostics.run',
        [
          {
            source: { kind: 'map', map: map({ STUNPort: -1, extra: { Future: [1] } }), label: 'editor' },
            region: undefined,
            bandwidthBytes: 8_000_000,
          },
        ],
      ],
      [
        'diagnostics.run',
        [{ source: { kind: 'relay', url: 'https://derp.example.com', stunPort: 3478 }, node: '900a' }],
      ],
      ['settings.save', [{ listenAddr: 'x' }]],
      ['settings.save', [{ ...DEFAULT_SETTINGS }]],
      ['files.choose', [{ mode: 'save', purpose: 'allowlist', defaultPath: '/tmp/a' }]],
      ['diagnostics.export', ['abc', 'markdown']],
    ];
    for (const [name, args] of ok) expect(await dispatch(handlers, name, args), name).toBe('ran');
    expect(calls.length).toBe(ok.length);
  });

  it('refuses nested arguments that do not fit, naming the call and the path, before any handler runs', async () => {
    const { handlers, calls } = recordingHandlers();
    const bad: Array<[string, unknown, string]> = [
      ['map.export', [map(), 'toml'], 'map.export: argument 2 (format) must be one of "yaml", "json"'],
      ['map.export', [{ Regions: [] }, 'json'], 'map.export: argument 1 (map.Regions) must be an object'],
      [
        'map.export',
        [{ Regions: { '900': { Nodes: 'x' } } }, 'json'],
        'map.export: argument 1 (map.Regions.900.Nodes) must be a list',
      ],
      ['map.save', [{ path: '/x', map: map(), format: 'yaml' }], 'map.save: argument 1 (req.baseText) is missing'],
      [
        'map.open',
        [{ kind: 'ftp', url: 'x' }],
        'map.open: argument 1 (source.kind) must be one of "file", "url", "text"',
      ],
      [
        'map.open',
        [{ kind: 'url', url: 'x', path: '/etc/passwd' }],
        'map.open: argument 1 (source) has an unknown field "path"',
      ],
      [
        'diagnostics.run',
        [{ source: { kind: 'map', map: map({ HostName: 7 }), label: 'm' } }],
        'diagnostics.run: argument 1 (req.source.map.Regions.900.Nodes[0].HostName) must be a string',
      ],
      [
        'diagnostics.run',
        [{ source: { kind: 'map', map: { Regions: {} } } }],
        'diagnostics.run: argument 1 (req.source.label) is missing',
      ],
      [
        'diagnostics.run',
        [{ source: { kind: 'relay', url: 'x' }, bandwidthBytes: -1 }],
        'diagnostics.run: argument 1 (req.bandwidthBytes) must be at least 0',
      ],
      [
        'diagnostics.run',
        [{ source: { kind: 'relay', url: 'x', stunPort: 70000 } }],
        'diagnostics.run: argument 1 (req.source.stunPort) must be at most 65535',
      ],
      [
        'diagnostics.run',
        [{ source: { kind: 'relay', url: 'x' }, region: 900 }],
        'diagnostics.run: argument 1 (req.region) must be a string',
      ],
      [
        'diagnostics.export',
        ['abc', 'pdf'],
        'diagnostics.export: argument 2 (format) must be one of "json", "csv", "markdown"',
      ],
      ['diagnostics.get', ['x'.repeat(65)], 'diagnostics.get: argument 1 (id) must be at most 64 bytes'],
      ['settings.save', [{ httpPort: '443' }], 'settings.save: argument 1 (settings.httpPort) must be a number'],
      [
        'settings.save',
        [{ tlsMode: 'acme' }],
        'settings.save: argument 1 (settings.tlsMode) must be one of "none", "manual", "self-signed", "letsencrypt"',
      ],
      [
        'settings.save',
        [{ stunEnabled: 'yes' }],
        'settings.save: argument 1 (settings.stunEnabled) must be true or false',
      ],
      ['settings.save', [{ shell: '/bin/sh' }], 'settings.save: argument 1 (settings) has an unknown field "shell"'],
      [
        'files.choose',
        [{ mode: 'delete', purpose: 'map' }],
        'files.choose: argument 1 (req.mode) must be one of "open", "save"',
      ],
      [
        'files.choose',
        [{ mode: 'open', purpose: 'map', defaultPath: 1 }],
        'files.choose: argument 1 (req.defaultPath) must be a string',
      ],
      ['allowlist.save', [null], 'allowlist.save: argument 1 (text) must be a string'],
      ['relay.getState', [1], 'relay.getState takes 0 argument(s)'],
      ['map.export', [map()], 'map.export takes 2 argument(s)'],
      ['diagnostics.cancel', { 0: 'x' }, 'diagnostics.cancel takes 1 argument(s)'],
      ['toString', [], 'unknown call "toString"'],
    ];
    for (const [name, args, message] of bad) {
      const err = await dispatch(handlers, name, args).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(BadRequestError);
      expect((err as Error).message).toBe(message);
    }
    expect(calls).toEqual([]);
  });
});
