/** Which way the bytes go for one operation (DESIGN.md "Transports"): the caller's choice against what each transport can reach. */
import { SregistryError } from '../../errors.js';
import type { EndpointInfo } from '../endpoint.js';
import type { Session } from '../session.js';
import type { Transport, TransportChoice } from '../types.js';
import type { TransportBackend } from './backend.js';
import { BACKENDS } from './index.js';

/** The transports a caller may ask for, in the order messages list them. */
export const TRANSPORTS: readonly TransportChoice[] = ['auto', ...BACKENDS.map((b) => b.name)];

/** Each choice with a few words on it, for help texts and selects. */
export const TRANSPORT_HELP: ReadonlyArray<{ name: TransportChoice; help: string }> = [
  {
    name: 'auto',
    help: `the first of ${[...BACKENDS]
      .sort((a, b) => b.autoRank - a.autoRank)
      .map((b) => b.name)
      .join(', ')} that reaches the collection`,
  },
  ...BACKENDS.map((b) => ({ name: b.name, help: b.help })),
];

/** `auto` or a transport's name (any case); anything else is refused with the accepted values. */
export function parseTransport(text: string, setting = 'transport'): TransportChoice {
  const t = text.trim().toLowerCase();
  if (!(TRANSPORTS as readonly string[]).includes(t)) {
    throw new SregistryError('INVALID_INPUT', `${setting} "${text}" is not one of ${TRANSPORTS.join(', ')}`);
  }
  return t as TransportChoice;
}

/** The backend registered under `name`. */
export function backendOf(name: Transport): TransportBackend {
  const found = BACKENDS.find((b) => b.name === name);
  if (!found) throw new SregistryError('INVALID_INPUT', `transport "${name}" is not one of ${TRANSPORTS.join(', ')}`);
  return found;
}

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
 * auto: the reachable transport ranked highest (Transfer when a local endpoint is
 * configured, else HTTPS when the remote serves it). An explicit choice that cannot work
 * is refused up front, with what to change.
 */
export function chooseTransport(ctx: TransportContext): Transport {
  const shown = ctx.endpointName ? `${ctx.endpointName} (${ctx.endpointId})` : ctx.endpointId;
  const reach = { httpsServer: ctx.httpsServer, localEndpoint: ctx.localEndpoint, shown };
  const ranked = [...BACKENDS].sort((a, b) => b.autoRank - a.autoRank);
  if (ctx.choice !== 'auto') {
    const problem = backendOf(ctx.choice).unreachable(reach);
    if (problem === undefined) return ctx.choice;
    const others = ranked
      .filter((b) => b.name !== ctx.choice)
      .map((b) =>
        b.unreachable(reach) === undefined
          ? `--transport ${b.name} reaches it`
          : `${b.remedy} and use --transport ${b.name}`,
      );
    throw new SregistryError('INVALID_INPUT', [problem, ...others].join('; or '));
  }
  const reachable = ranked.find((b) => b.unreachable(reach) === undefined);
  if (reachable) return reachable.name;
  throw new SregistryError('INVALID_INPUT', `No transport reaches collection ${shown}: ${transportRemedies()}`);
}

/** What makes some transport usable, each backend's way out in `auto`'s order: for the messages that list them. */
export function transportRemedies(): string {
  return [...BACKENDS]
    .sort((a, b) => b.autoRank - a.autoRank)
    .map((b) => `${b.remedy} (${b.name})`)
    .join(', or ');
}

/** The backend an operation on `ep` uses: this call's choice (any case, as the option), else the Registry's. */
export function transportFor(
  session: Session,
  ep: EndpointInfo,
  choice: string = session.options.transport,
): TransportBackend {
  return backendOf(
    chooseTransport({
      choice: parseTransport(choice),
      httpsServer: ep.httpsServer,
      endpointId: ep.id,
      endpointName: ep.displayName,
      ...(session.options.localEndpoint ? { localEndpoint: session.options.localEndpoint } : {}),
    }),
  );
}
