/**
 * The collection's HTTPS server as a transport: one PUT, GET or DELETE per file, each
 * reading the bytes (`move.ts`, loaded on first use).
 */
import { lazyBackend } from '../backend.js';

export const https = lazyBackend(
  {
    name: 'https',
    help: 'collection HTTPS server',
    autoReason: 'the collection serves HTTPS and no local endpoint is set',
    autoRank: 1,
    unreachable: ({ httpsServer, shown }) =>
      typeof httpsServer === 'string' && httpsServer !== ''
        ? undefined
        : `Collection ${shown} has no https_server, so the https transport cannot reach it`,
    remedy: 'use a collection with an HTTPS server',
    batches: false,
    lateArrivals: true,
  },
  () => import('./move.js'),
);
