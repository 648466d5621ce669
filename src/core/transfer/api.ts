import { TRANSFER_SCOPE } from '../auth/scopes.js';
import type { TokenSource } from '../auth/token-source.js';
import { isSregistryError } from '../errors.js';
import { requestJson, type ApiCall, type QueryValue } from '../http/request.js';
import type { Network } from '../http/agent.js';
import type { RetryPolicy } from '../http/retry.js';
import { assertSecureUrl } from '../http/secure-url.js';
import { mergeConsentScopes } from './consent.js';

export interface TransferClientOptions {
  /** Transfer origin, e.g. `https://transfer.api.globus.org/`; requests go to `/v0.10/...` on it. */
  baseUrl: string;
  tokens: TokenSource;
  /** Named in error messages (the identity to grant permissions to). Defaults to the TokenSource's. */
  clientId?: string;
  /** Per attempt timeout, ms. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Called for every HTTP answer (each attempt), e.g. to show the Globus calls behind a step. */
  onCall?: (call: ApiCall) => void;
  /** Aborts every call of this client. */
  signal?: AbortSignal;
  /** The dispatcher and proxies of every call; default: the environment's. */
  network?: Network;
}

/** Options every method takes. */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface ApiRequest extends CallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under `/v0.10/`, already percent-encoded where needed. */
  path: string;
  query?: Record<string, QueryValue>;
  json?: unknown;
  /** What is being done, for error messages: `listing /shub/ on endpoint <id>`. */
  action: string;
  /** Called with the server's clock (its HTTP `Date` header, ms) of the answer. */
  onServerTime?: (ms: number) => void;
}

/**
 * Sends Transfer requests with a token: a 401 renews the token once, a ConsentRequired
 * answer fetches a token for the required scopes and retries once. Scopes gained that way
 * are kept for every later call of this client.
 */
export class TransferApi {
  readonly #options: TransferClientOptions;
  readonly #base: URL;
  #scopes: string[] = [TRANSFER_SCOPE];

  constructor(options: TransferClientOptions) {
    this.#options = options;
    this.#base = assertSecureUrl(options.baseUrl);
  }

  /** The scopes the client's tokens are requested for now. */
  get scopes(): readonly string[] {
    return this.#scopes;
  }

  get clientId(): string {
    return this.#options.clientId ?? this.#options.tokens.clientId;
  }

  /**
   * Asks for these scopes from now on (merged as a ConsentRequired answer would be), e.g.
   * a mapped collection's data_access dependency known from its endpoint document.
   */
  requireScopes(scopes: readonly string[]): void {
    this.#scopes = mergeConsentScopes(this.#scopes, scopes);
  }

  /** Combines the client's signal with a call's. */
  signalFor(options: CallOptions = {}): AbortSignal | undefined {
    const signals = [this.#options.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
    return signals.length <= 1 ? signals[0] : AbortSignal.any(signals);
  }

  async call<T>(req: ApiRequest): Promise<T> {
    const signal = this.signalFor(req);
    const started = this.#scopes;
    let consented: string[] | undefined;
    const adopt = (): void => {
      if (consented) this.#scopes = mergeConsentScopes(this.#scopes, consented);
      consented = undefined;
    };
    const url = new URL(`/v0.10/${req.path}`, this.#base);
    const result = await this.#options.tokens.withToken(
      started,
      async (token) => {
        try {
          const answer = await requestJson<T>({
            method: req.method ?? 'GET',
            url,
            headers: { authorization: `Bearer ${token}` },
            ...(req.query ? { query: req.query } : {}),
            ...(req.json !== undefined ? { json: req.json } : {}),
            ...(signal ? { signal } : {}),
            ...(this.#options.timeoutMs !== undefined ? { timeoutMs: this.#options.timeoutMs } : {}),
            ...(this.#options.retry ? { retry: this.#options.retry } : {}),
            ...(this.#options.onCall ? { onCall: this.#options.onCall } : {}),
            ...(this.#options.network ? { network: this.#options.network } : {}),
            ...(req.onServerTime ? { onServerTime: req.onServerTime } : {}),
            errorContext: {
              clientId: this.clientId,
              action: req.action,
              serviceSetting: 'GLOBUS_SDK_SERVICE_URL_TRANSFER',
            },
          });
          adopt();
          return answer;
        } catch (err) {
          if (isSregistryError(err)) {
            if (err.code === 'CONSENT_REQUIRED' && err.requiredScopes?.length) consented ??= err.requiredScopes;
            // Any other answer after the consent retry means the new scopes were accepted.
            else if (err.code !== 'AUTH_FAILED' && err.code !== 'CONSENT_REQUIRED') adopt();
          }
          throw err;
        }
      },
      signal ? { signal } : {},
    );
    return result;
  }
}
