/**
 * What one Registry talks to: a TokenSource, the Transfer client and the collection HTTPS
 * client, wired so every HTTP answer becomes a `call` event, plus the endpoint documents
 * and registry roots found so far (cached for the Registry's life).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { TokenSource } from '../auth/token-source.js';
import { transferScopeWithDataAccess } from '../auth/scopes.js';
import { resolveServiceUrls } from '../auth/environment.js';
import { SregistryError, isSregistryError } from '../errors.js';
import { networkFor, type Network } from '../http/agent.js';
import type { ApiCall } from '../http/request.js';
import { abortedError, type RetryInfo } from '../http/retry.js';
import { CollectionHttpsClient } from '../collection/index.js';
import type { Records } from '../records.js';
import { TransferApi, getEndpoint, searchEndpoints } from '../transfer/index.js';
import { endpointInfo, type EndpointInfo } from './endpoint.js';
import { isUuid } from '../uri.js';
import type { CallOptions, ProgressEvent, RegistryEvent, ResolvedOptions } from './types.js';

/**
 * The hooks of the operation running in this async context. Calls of several operations
 * of one Registry interleave on the shared clients; the context tells whose each is.
 */
const callHooks = new AsyncLocalStorage<Pick<CallOptions, 'onProgress' | 'onEvent'>>();

export const withCallHooks = <T>(
  hooks: Pick<CallOptions, 'onProgress' | 'onEvent'>,
  fn: () => Promise<T>,
): Promise<T> => (hooks.onProgress || hooks.onEvent ? callHooks.run(hooks, fn) : fn());

export class Session {
  readonly options: ResolvedOptions;
  readonly tokens: TokenSource;
  readonly transfer: TransferApi;
  readonly https: CollectionHttpsClient;
  /** The dispatcher and proxies every request of this Registry goes through. */
  readonly network: Network;
  readonly #endpoints = new Map<string, Lookup>();
  /** Endpoint documents already read, by lower-case id. */
  readonly #known = new Map<string, EndpointInfo>();
  /** Registry root per endpoint id, once found (or created). */
  readonly roots = new Map<string, string>();
  /** Endpoints whose registry marker this client may not read (its rule is below the root). */
  readonly hiddenMarkers = new Set<string>();
  /** Registry layout per `<endpoint id>:<root>`, once read from the marker (or written). */
  readonly layouts = new Map<string, 1 | 2>();
  /** Sizes listings and stats gave, by `<endpoint id>:<path>`, for bounds checked before a download. */
  readonly listedSizes = new Map<string, number>();
  readonly records: () => Records;
  /**
   * Retries of rate-limited answers, by any call of this Registry (the limit is per
   * client), and how many of them said when with Retry-After.
   */
  readonly rateLimitRetries = { total: 0, withRetryAfter: 0 };

  constructor(options: ResolvedOptions, records: () => Records) {
    this.options = options;
    this.records = records;
    const { globus } = options;
    const urls = resolveServiceUrls({
      ...(globus.environment ? { environment: globus.environment } : {}),
      ...(globus.authUrl ? { authUrl: globus.authUrl } : {}),
      ...(globus.transferUrl ? { transferUrl: globus.transferUrl } : {}),
    });
    const onRetry = (info: RetryInfo): void => {
      if (!info.rateLimited) return;
      this.rateLimitRetries.total++;
      if (info.delaySource === 'retry-after') this.rateLimitRetries.withRetryAfter++;
    };
    const retry = { retry: { ...(options.retry ?? {}), onRetry } };
    const onCall = (call: ApiCall): void => {
      this.emit({ type: 'call', call: { ...call } });
    };
    const onToken = options.onToken;
    this.network = networkFor(options.proxy);
    const network = this.network;
    this.tokens = new TokenSource({
      clientId: globus.clientId,
      clientSecret: globus.clientSecret,
      authUrl: urls.auth,
      onCall,
      network,
      ...(onToken ? { onToken } : {}),
      ...retry,
    });
    this.transfer = new TransferApi({ baseUrl: urls.transfer, tokens: this.tokens, onCall, network, ...retry });
    this.https = new CollectionHttpsClient({
      tokens: this.tokens,
      onCall,
      network,
      ...(options.speedFloor !== undefined ? { speedFloor: options.speedFloor } : {}),
      ...retry,
    });
  }

  get clientId(): string {
    return this.tokens.clientId;
  }

  emit(event: RegistryEvent): void {
    for (const listener of [this.options.onEvent, callHooks.getStore()?.onEvent]) {
      try {
        listener?.(event);
      } catch {
        // a failing listener must not break an operation
      }
    }
  }

  progress(event: ProgressEvent): void {
    for (const listener of [this.options.onProgress, callHooks.getStore()?.onProgress]) {
      try {
        listener?.(event);
      } catch {
        // as above
      }
    }
  }

  step(message: string): void {
    this.emit({ type: 'step', message });
  }

  notice(message: string): void {
    this.emit({ type: 'notice', message });
  }

  /** What this session already read about an endpoint id, without asking Globus. */
  knownEndpoint(id: string): EndpointInfo | undefined {
    return this.#known.get(id.toLowerCase());
  }

  /** The endpoint a URI names: a UUID is looked up, a display name searched for (exactly one match). */
  endpoint(nameOrId: string, signal?: AbortSignal): Promise<EndpointInfo> {
    const key = isUuid(nameOrId) ? nameOrId.toLowerCase() : `name:${nameOrId}`;
    let lookup = this.#endpoints.get(key);
    if (!lookup) {
      // Shared by every operation that asks meanwhile; it stops only once all of them aborted.
      const stop = new AbortController();
      const info = this.#resolve(nameOrId, stop.signal).then((found) => {
        // Ask for the consent up front rather than be answered ConsentRequired first.
        if (found.dataAccess) this.transfer.requireScopes([transferScopeWithDataAccess([found.id])]);
        this.#known.set(found.id, found);
        this.#endpoints.set(found.id, { info: Promise.resolve(found), stop: new AbortController(), waiting: 0 });
        return found;
      });
      const created: Lookup = { info, stop, waiting: 0 };
      // A failure is not cached: the next call tries again.
      info.catch(() => this.#endpoints.get(key) === created && this.#endpoints.delete(key));
      this.#endpoints.set(key, (lookup = created));
    }
    return waitFor(lookup, signal);
  }

  async #resolve(nameOrId: string, signal?: AbortSignal): Promise<EndpointInfo> {
    const opts = signal ? { signal } : {};
    if (isUuid(nameOrId)) {
      this.step(`resolving endpoint ${nameOrId}`);
      try {
        return endpointInfo(await getEndpoint(this.transfer, nameOrId, opts));
      } catch (err) {
        if (isSregistryError(err) && err.code === 'NOT_FOUND') {
          throw new SregistryError(
            'NOT_FOUND',
            `Endpoint ${nameOrId} does not exist or is not visible to client ${this.clientId}: check the id, or find it with search`,
            {
              ...(err.status !== undefined ? { status: err.status } : {}),
              ...(err.requestId ? { requestId: err.requestId } : {}),
              ...(err.globusCode ? { globusCode: err.globusCode } : {}),
            },
          );
        }
        throw err;
      }
    }
    this.step(`searching for endpoint "${nameOrId}"`);
    const exact: EndpointInfo[] = [];
    const others: string[] = [];
    for await (const doc of searchEndpoints(this.transfer, { fulltext: nameOrId, ...opts })) {
      if (doc.display_name === nameOrId) exact.push(endpointInfo(doc));
      else if (others.length < 5 && doc.display_name) others.push(doc.display_name);
    }
    if (exact.length === 1) return exact[0]!;
    if (exact.length === 0) {
      const hint = others.length ? `; similar: ${others.map((n) => JSON.stringify(n)).join(', ')}` : '';
      throw new SregistryError(
        'NOT_FOUND',
        `No endpoint is named exactly "${nameOrId}"${hint}: use the endpoint's UUID or its exact display name`,
      );
    }
    const list = exact.map((e) => `${e.id} (owner ${e.owner || 'unknown'})`).join(', ');
    throw new SregistryError(
      'AMBIGUOUS',
      `${exact.length} endpoints are named "${nameOrId}": ${list}; use the UUID of the one you mean`,
    );
  }
}

interface Lookup {
  info: Promise<EndpointInfo>;
  stop: AbortController;
  /** Callers waiting with a signal; Infinity once one waits without (it cannot be stopped). */
  waiting: number;
}

/** The lookup's answer, or ABORTED when `signal` aborts; the last caller to abort stops the lookup. */
function waitFor(lookup: Lookup, signal?: AbortSignal): Promise<EndpointInfo> {
  if (!signal) {
    lookup.waiting = Number.POSITIVE_INFINITY;
    return lookup.info;
  }
  if (signal.aborted) return Promise.reject(abortedError('Looking up the endpoint'));
  lookup.waiting++;
  return new Promise<EndpointInfo>((resolve, reject) => {
    const onAbort = (): void => {
      if (--lookup.waiting === 0) lookup.stop.abort();
      reject(abortedError('Looking up the endpoint'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => {
      signal.removeEventListener('abort', onAbort);
      lookup.waiting--;
    };
    lookup.info.then(
      (v) => {
        settle();
        resolve(v);
      },
      (e: unknown) => {
        settle();
        reject(e);
      },
    );
  });
}
