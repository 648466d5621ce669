import { rawClientSecretBasic } from './client-auth.js';
import * as oidc from 'openid-client';
import type { Network } from '../http/agent.js';
import { SregistryError, isSregistryError } from '../errors.js';
import { errorCodeFor, safeText } from '../http/globus-error.js';
import type { RetryPolicy } from '../http/retry.js';
import { abortedError } from '../http/retry.js';
import { assertSecureUrl } from '../http/secure-url.js';
import { resolveServiceUrls } from './environment.js';
import { oidcFetch } from './oidc-fetch.js';
import type { ApiCall } from '../http/request.js';
import { normalizeScopes, scopeKey } from './scopes.js';

export interface TokenSourceOptions {
  clientId: string;
  clientSecret: string;
  /** Auth base URL; else GLOBUS_SDK_SERVICE_URL_AUTH, else the GLOBUS_SDK_ENVIRONMENT's Auth. */
  authUrl?: string;
  /** Retry policy of the requests to Auth. */
  retry?: Partial<RetryPolicy>;
  /** Per attempt timeout of the requests to Auth, ms. */
  timeoutMs?: number;
  /** Renew a token this long before it expires (at most 10% of its lifetime); default 60 s. */
  refreshMarginMs?: number;
  /** Clock, ms since the epoch. */
  now?: () => number;
  /** Told of each answered request to Auth (discovery, token), like the service clients' hook. */
  onCall?: (call: ApiCall) => void;
  /** Told of every access token as it arrives, before it is used, so callers can mask it in logs. */
  onToken?: (accessToken: string) => void;
  /** The dispatcher and proxies of every Auth request; default: the environment's. */
  network?: Network;
}

/** One access token as cached. */
export interface AccessToken {
  accessToken: string;
  /** The scopes Auth granted, space separated. */
  scope: string;
  resourceServer: string;
  /** ms since the epoch. */
  expiresAt: number;
  /** When to fetch a new one instead, ms since the epoch. */
  renewAt: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** Overall time openid-client gives one Auth call (all retries included), seconds. */
const OIDC_TIMEOUT_SECONDS = 120;
const DEFAULT_MARGIN_MS = 60_000;

interface TokenEntry {
  access_token?: unknown;
  scope?: unknown;
  expires_in?: unknown;
  resource_server?: unknown;
  other_tokens?: unknown;
}

/**
 * Access tokens of one confidential client (OAuth2 client_credentials), one per scope
 * set, kept in memory until shortly before they expire. Concurrent callers asking for
 * the same scopes share one request to Auth.
 */
export class TokenSource {
  readonly clientId: string;
  readonly authUrl: string;
  readonly #secret: string;
  readonly #options: TokenSourceOptions;
  readonly #cache = new Map<string, AccessToken>();
  readonly #inFlight = new Map<string, Promise<AccessToken>>();
  #config: Promise<oidc.Configuration> | undefined;

  constructor(options: TokenSourceOptions) {
    if (!options.clientId || !options.clientSecret) {
      throw new SregistryError(
        'INVALID_INPUT',
        'A Globus client id and secret are required; set GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET',
      );
    }
    this.clientId = options.clientId;
    this.#secret = options.clientSecret;
    this.#options = options;
    this.authUrl = resolveServiceUrls(options.authUrl ? { authUrl: options.authUrl } : {}).auth;
  }

  /**
   * An access token string for `scopes` (space separated string or list). Ask for the
   * scopes of one resource server per call: when a set spans several, Auth's first token
   * is returned and the others are cached under their own scopes.
   */
  async getToken(scopes: string | readonly string[], options: CallOptions = {}): Promise<string> {
    return (await this.getAccessToken(scopes, options)).accessToken;
  }

  /** The cached token for `scopes` when still fresh, else a new one from Auth. */
  async getAccessToken(scopes: string | readonly string[], options: CallOptions = {}): Promise<AccessToken> {
    const key = scopeKey(scopes);
    if (!key) throw new SregistryError('INVALID_INPUT', 'At least one scope is required to get a token');
    if (options.signal?.aborted) throw abortedError('Getting a Globus token');
    const cached = this.#cache.get(key);
    if (cached && this.#now() < cached.renewAt) return cached;
    let pending = this.#inFlight.get(key);
    if (!pending) {
      pending = this.#fetch(key).finally(() => this.#inFlight.delete(key));
      // The fetch is shared: a caller that aborts must not leave it unobserved.
      pending.catch(() => undefined);
      this.#inFlight.set(key, pending);
    }
    return raceAbort(pending, options.signal);
  }

  /** Forgets the token of `scopes` (and every cached copy of the same token string). */
  invalidate(scopes: string | readonly string[], token?: string): void {
    const key = scopeKey(scopes);
    const dropped = token ?? this.#cache.get(key)?.accessToken;
    this.#cache.delete(key);
    if (dropped === undefined) return;
    for (const [k, entry] of this.#cache) if (entry.accessToken === dropped) this.#cache.delete(k);
  }

  /** Forgets every token. */
  clear(): void {
    this.#cache.clear();
  }

  /**
   * Runs `fn` with a token for `scopes`. On AUTH_FAILED the token is renewed once and
   * `fn` runs again; on CONSENT_REQUIRED a token for the answer's `required_scopes` is
   * fetched once and `fn` runs again with it.
   */
  async withToken<T>(
    scopes: string | readonly string[],
    fn: (token: string) => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    let current: string | readonly string[] = scopes;
    let token = await this.getToken(current, options);
    let renewed = false;
    let consented = false;
    for (;;) {
      try {
        return await fn(token);
      } catch (err) {
        if (!isSregistryError(err)) throw err;
        if (err.code === 'AUTH_FAILED' && !renewed) {
          renewed = true;
          this.invalidate(current, token);
          token = await this.getToken(current, options);
          continue;
        }
        const required = err.code === 'CONSENT_REQUIRED' ? err.requiredScopes : undefined;
        if (required && required.length > 0 && !consented) {
          consented = true;
          current = required;
          token = await this.getToken(current, options);
          continue;
        }
        throw err;
      }
    }
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #configuration(): Promise<oidc.Configuration> {
    this.#config ??= this.#discover().catch((err: unknown) => {
      this.#config = undefined;
      throw err;
    });
    return this.#config;
  }

  async #discover(): Promise<oidc.Configuration> {
    const server = assertSecureUrl(this.authUrl);
    const customFetch = oidcFetch({
      secrets: [this.#secret],
      ...(this.#options.retry ? { retry: this.#options.retry } : {}),
      ...(this.#options.timeoutMs !== undefined ? { timeoutMs: this.#options.timeoutMs } : {}),
      ...(this.#options.onCall ? { onCall: this.#options.onCall } : {}),
      ...(this.#options.network ? { network: this.#options.network } : {}),
    });
    try {
      return await oidc.discovery(server, this.clientId, undefined, rawClientSecretBasic(this.#secret), {
        [oidc.customFetch]: customFetch,
        timeout: OIDC_TIMEOUT_SECONDS,
        // assertSecureUrl let plain http through only for loopback (the sandbox).
        ...(server.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
    } catch (err) {
      throw this.#authError(err, `discovering Globus Auth at ${server.origin}${server.pathname}`);
    }
  }

  async #fetch(key: string): Promise<AccessToken> {
    const config = await this.#configuration();
    let answer: TokenEntry;
    try {
      answer = (await oidc.clientCredentialsGrant(config, { scope: key })) as unknown as TokenEntry;
    } catch (err) {
      throw this.#authError(err, `getting a token for ${key}`);
    }
    this.#announce(answer);
    const now = this.#now();
    const main = this.#entry(answer, now);
    if (!main)
      throw new SregistryError(
        'INVALID_RESPONSE',
        `Globus Auth answered a token request for ${key} without access_token/expires_in; check GLOBUS_SDK_SERVICE_URL_AUTH`,
      );
    this.#cache.set(key, main);
    this.#cache.set(scopeKey(main.scope || key), main);
    for (const other of Array.isArray(answer.other_tokens) ? (answer.other_tokens as TokenEntry[]) : []) {
      const entry = other && typeof other === 'object' ? this.#entry(other, now) : undefined;
      if (entry && entry.scope) this.#cache.set(scopeKey(entry.scope), entry);
    }
    return main;
  }

  #announce(answer: TokenEntry): void {
    const tokens = [answer, ...(Array.isArray(answer.other_tokens) ? (answer.other_tokens as TokenEntry[]) : [])];
    for (const t of tokens) {
      if (t && typeof t === 'object' && typeof t.access_token === 'string') this.#options.onToken?.(t.access_token);
    }
  }

  #entry(raw: TokenEntry, now: number): AccessToken | undefined {
    if (typeof raw.access_token !== 'string' || typeof raw.expires_in !== 'number' || !(raw.expires_in > 0))
      return undefined;
    const lifetimeMs = raw.expires_in * 1000;
    const margin = Math.min(this.#options.refreshMarginMs ?? DEFAULT_MARGIN_MS, lifetimeMs * 0.1);
    return {
      accessToken: raw.access_token,
      scope: typeof raw.scope === 'string' ? normalizeScopes(raw.scope).join(' ') : '',
      resourceServer: typeof raw.resource_server === 'string' ? raw.resource_server : '',
      expiresAt: now + lifetimeMs,
      renewAt: now + lifetimeMs - margin,
    };
  }

  /** An openid-client or transport failure as one SregistryError, never carrying the secret. */
  #authError(err: unknown, doing: string): SregistryError {
    const inner = findSregistryError(err);
    if (inner) return inner;
    const secrets = [this.#secret];
    if (err instanceof oidc.ResponseBodyError) {
      const body = (err.cause ?? {}) as Record<string, unknown>;
      const first =
        Array.isArray(body.errors) && body.errors[0] && typeof body.errors[0] === 'object'
          ? (body.errors[0] as Record<string, unknown>)
          : {};
      const requestId = typeof first.id === 'string' ? first.id : undefined;
      const tags = [`HTTP ${err.status}`, err.error, requestId ? `request_id ${requestId}` : undefined]
        .filter(Boolean)
        .join(', ');
      const said = safeText(err.error_description ?? err.error, secrets, 200);
      const badClient =
        err.status === 401 ||
        err.error === 'invalid_client' ||
        err.error === 'unauthorized_client' ||
        err.error === 'invalid_grant';
      const code = badClient
        ? 'AUTH_FAILED'
        : err.error === 'invalid_scope'
          ? 'GLOBUS_ERROR'
          : errorCodeFor(err.status, err.error);
      const advice = badClient
        ? `check GLOBUS_CLIENT_ID (${this.clientId}) and GLOBUS_CLIENT_SECRET`
        : err.error === 'invalid_scope'
          ? 'check the collection id, and that data_access is requested only for GCSv5 mapped collections'
          : 'see the message from Globus Auth';
      return new SregistryError(
        code,
        safeText(`Globus Auth refused ${doing}: ${said} (${tags}); ${advice}`, secrets, 600),
        {
          status: err.status,
          globusCode: err.error,
          ...(requestId ? { requestId } : {}),
        },
      );
    }
    if (err instanceof oidc.WWWAuthenticateChallengeError) {
      return new SregistryError(
        'AUTH_FAILED',
        `Globus Auth refused ${doing} (HTTP ${err.status}); check GLOBUS_CLIENT_ID (${this.clientId}) and GLOBUS_CLIENT_SECRET`,
        { status: err.status },
      );
    }
    const detail = safeText(err instanceof Error ? err.message : String(err), secrets, 200);
    return new SregistryError(
      'INVALID_RESPONSE',
      safeText(
        `Globus Auth answered unusably while ${doing}: ${detail}; check GLOBUS_SDK_SERVICE_URL_AUTH (${this.authUrl})`,
        secrets,
        600,
      ),
    );
  }
}

function findSregistryError(err: unknown): SregistryError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (isSregistryError(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function raceAbort<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError('Getting a Globus token'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
