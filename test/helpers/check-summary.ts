/** A netcheck-style summary of a two-region run (nyc and fra, fra nearest), for the report and page tests. */
import type { CheckSummary } from '../../shared/diagnostics.js';

export const SUMMARY: CheckSummary = {
  udp: true,
  publicIPv4: '198.51.100.7',
  publicIPv6: null,
  mappedIPv4: '198.51.100.7:41641',
  mappedIPv6: null,
  mappingVariesByDestIP: null,
  mappingVariesWhyUnknown: 'only one STUN server IP answered (192.0.2.1)',
  regionLatencyMs: { '1': 20.5, '2': 8 },
  regionLatency: [
    { regionId: 2, code: 'fra', name: 'Frankfurt', ms: 8 },
    { regionId: 1, code: 'nyc', name: 'New York City', ms: 20.5 },
  ],
  preferredRegion: 2,
  nearest: { regionId: 2, code: 'fra', name: 'Frankfurt', ms: 8 },
  captivePortal: false,
  bandwidth: [{ regionCode: 'nyc', node: '1a', mbps: 41.25 }],
  problems: [],
};
