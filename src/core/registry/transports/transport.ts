/** Which way the bytes go for one operation (DESIGN.md "Transports"). */
import { SregistryError } from '../../errors.js';
import type { Resolved } from '../lookup/resolve.js';
import type { Session } from '../session.js';
import type { Transport, TransportChoice } from '../types.js';

export interface TransportContext {
  choice: TransportChoice;
  /** The remote collection's `https_server`, null/undefined when it has none. */
  httpsServer?: string | null;
  /** The remote's id and name, for messages. */
  endpointId: string;
  endpointName?: string;
  localEndpoint?: string;
}

/**
 * auto: https when the remote serves HTTPS and no local endpoint is configured, else
 * transfer. An explicit choice that cannot work is refused up front, with what to change.
 */
export function chooseTransport(ctx: TransportContext): Transport {
  const shown = ctx.endpointName ? `${ctx.endpointName} (${ctx.endpointId})` : ctx.endpointId;
  const hasHttps = typeof ctx.httpsServer === 'string' && ctx.httpsServer !== '';
  const hasLocal = typeof ctx.localEndpoint === 'string' && ctx.localEndpoint !== '';
  switch (ctx.choice) {
    case 'https':
      if (!hasHttps) {
        throw new SregistryError(
          'INVALID_INPUT',
          `Collection ${shown} has no https_server, so the https transport cannot reach it; use --transport transfer with SREGISTRY_GLOBUS_LOCAL_ENDPOINT set`,
        );
      }
      return 'https';
    case 'transfer':
      if (!hasLocal) {
        throw new SregistryError(
          'INVALID_INPUT',
          'The transfer transport needs a local Globus endpoint: set SREGISTRY_GLOBUS_LOCAL_ENDPOINT (the localEndpoint option) to your Globus Connect Personal/Server endpoint',
        );
      }
      return 'transfer';
    default:
      if (hasHttps && !hasLocal) return 'https';
      if (hasLocal) return 'transfer';
      throw new SregistryError(
        'INVALID_INPUT',
        `Collection ${shown} has no https_server and no local endpoint is configured: set SREGISTRY_GLOBUS_LOCAL_ENDPOINT to use a Transfer task`,
      );
  }
}

/** The transport of an operation on a resolved image: the Registry's choice against what the collection serves. */
export function transportFor(session: Session, r: Pick<Resolved, 'ep'>): Transport {
  return chooseTransport({
    choice: session.options.transport,
    httpsServer: r.ep.httpsServer,
    endpointId: r.ep.id,
    endpointName: r.ep.displayName,
    ...(session.options.localEndpoint ? { localEndpoint: session.options.localEndpoint } : {}),
  });
}
