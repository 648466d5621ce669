/**
 * Globus Transfer tasks between the collection and the local Globus endpoint (Globus
 * Connect Personal or Server on this machine) as a transport: one task per put or get, a
 * delete task per removal (`move.ts`, loaded on first use).
 */
import { lazyBackend } from '../backend.js';

export const transfer = lazyBackend(
  {
    name: 'transfer',
    help: 'Globus Transfer task',
    autoReason: 'a local endpoint is set',
    autoRank: 2,
    unreachable: ({ localEndpoint: local }) =>
      typeof local === 'string' && local !== ''
        ? undefined
        : 'The transfer transport needs a local Globus endpoint: set SREGISTRY_GLOBUS_LOCAL_ENDPOINT (the localEndpoint option) to your Globus Connect Personal/Server endpoint',
    remedy:
      'set SREGISTRY_GLOBUS_LOCAL_ENDPOINT (the localEndpoint option) to your Globus Connect Personal/Server endpoint',
    batches: true,
    lateArrivals: false,
  },
  () => import('./move.js'),
);
