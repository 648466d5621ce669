import { SregistryError } from '../errors.js';
import { BODY_TOO_SLOW } from './streamed-exchange.js';

/** What a retry hook learns before the client waits and tries again. */
export interface RetryInfo {
  /** 1 for the first retry. */
  retry: number;
  /** How long the client waits before it, ms. */
  delayMs: number;
  /** Where the delay came from. */
  delaySource: 'retry-after' | 'backoff';
  method: string;
  /** Origin and path, never the query (it may carry names) or credentials. */
  url: string;
  /** The status that caused it, when the service answered. */
  status?: number;
  /** The Globus error code of that answer, when there was one. */
  globusCode?: string;
  /** The network error code (ECONNRESET, UND_ERR_SOCKET...), when it did not answer. */
  errorCode?: string;
  /** The answer asked this client to slow down (a rate limit). */
  rateLimited?: boolean;
}

export type SleepFn = (ms: number, signal?: AbortSignal) => Promise<void>;

/** How a request is retried. Defaults follow the official Python SDK. */
export interface RetryPolicy {
  /** Retries after the first attempt; 0 turns retrying off. */
  maxRetries: number;
  /** First backoff step, ms; each retry doubles it, then jitter takes 50-100% of it. */
  baseDelayMs: number;
  /** Longest wait between attempts, ms (also caps `Retry-After`). */
  maxDelayMs: number;
  /**
   * A 429 without `Retry-After`: Globus limits about 20 requests/s per user over 10 s
   * windows (its FAQ), so the wait covers one whole window (with jitter, so a burst of
   * callers does not come back together).
   */
  rateLimitWindowMs: number;
  /** Retries of a 429 alone, on top of maxRetries: a rate limit is waited out, not failed (30 windows: 5 minutes). */
  maxRateLimitRetries: number;
  /** Waits `ms`; rejects when `signal` aborts. */
  sleep: SleepFn;
  /** A number in [0, 1) for the jitter. */
  random: () => number;
  onRetry?: (info: RetryInfo) => void;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = {
  maxRetries: 5,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  rateLimitWindowMs: 10_000,
  maxRateLimitRetries: 30,
  sleep: abortableSleep,
  random: Math.random,
};

export const retryPolicy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => {
  const merged: RetryPolicy = { ...DEFAULT_RETRY };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
  }
  merged.maxRetries = Math.max(0, Math.floor(merged.maxRetries));
  return merged;
};

/** Error thrown by `abortableSleep` and by requests when the caller's signal aborts. */
export const abortedError = (what = 'The request'): SregistryError =>
  new SregistryError('ABORTED', `${what} was aborted by the caller`);

/**
 * Calls `fn` once performance.now() has reached `at`; returns a cancel. A bare setTimeout
 * counts from the event loop's cached clock, which lags after a busy stretch, so it can
 * fire early; this re-arms for what is left. The monotonic clock decides, so a change of
 * the wall clock does not stretch the wait.
 */
export function timerAt(at: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    timer = setTimeout(() => (performance.now() >= at ? fn() : arm()), Math.max(0, Math.ceil(at - performance.now())));
  };
  arm();
  return () => clearTimeout(timer);
}

/**
 * A wait of `ms` as a promise that rejects with ABORTED as soon as `signal` aborts. It never
 * resolves early (timerAt): a wait for Retry-After or a poll interval must not be short.
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      cancel();
      reject(abortedError());
    };
    const cancel = timerAt(performance.now() + Math.max(0, ms), () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Jittered exponential backoff before retry number `retry` (1-based). */
export function backoffDelay(
  retry: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(exponential * (0.5 + 0.5 * policy.random()));
}

/** The wait before retrying a 429 that said nothing of when: one rate-limit window, plus up to half of one. */
function rateLimitDelay(policy: Pick<RetryPolicy, 'rateLimitWindowMs' | 'random'>): number {
  return Math.round(policy.rateLimitWindowMs * (1 + 0.5 * policy.random()));
}

/** `Retry-After` as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Whether an answer is worth another attempt: 429 and 503 always; 500, 502 and 504
 * unless the endpoint itself failed (the code names ExternalError or EndpointError,
 * which a retry would only repeat).
 */
export function isRetryableStatus(status: number, globusCode?: string): boolean {
  if (status === 429 || status === 503) return true;
  if (status === 500 || status === 502 || status === 504) {
    return !(globusCode && (globusCode.includes('ExternalError') || globusCode.includes('EndpointError')));
  }
  return false;
}

const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  BODY_TOO_SLOW,
]);

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  BODY_TOO_SLOW,
]);

/** The first `code` found on an error or along its `cause` chain. */
export function networkErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      (RETRYABLE_NETWORK_CODES.has(code) ||
        code.startsWith('E') ||
        code.startsWith('UND_ERR') ||
        code.startsWith('SREGISTRY_'))
    )
      return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const isRetryableNetworkError = (code: string | undefined): boolean =>
  code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
export const isTimeoutCode = (code: string | undefined): boolean => code !== undefined && TIMEOUT_CODES.has(code);

/** What one attempt met, as the retry decision reads it. */
export type AttemptOutcome =
  /** The service answered with an error status; `retryAfter` is its `Retry-After` header as it came. */
  | { kind: 'answer'; status: number; globusCode?: string | undefined; retryAfter?: string | string[] | undefined }
  /**
   * No answer: `code` is the network error code along the error's cause chain; `proxy` when
   * the proxy on the way failed it (`final`: it will not change its mind, e.g. it refused).
   */
  | { kind: 'network'; code: string | undefined; proxy?: { final: boolean } | undefined }
  /** A download's body stopped early: `code` of the error that cut it. */
  | { kind: 'cut'; code: string | undefined }
  /** A download's body ended without an error before its announced length. */
  | { kind: 'short' };

export interface Attempt {
  /** Retries spent before this attempt (0 for the first). */
  retries: number;
  outcome: AttemptOutcome;
  /** Whether the request can be sent again (a streamed body that started flowing cannot); default true. */
  replayable?: boolean;
}

/** Why an attempt is not retried: the caller turns it into its error. */
export type StopReason = 'not-retryable' | 'unreplayable' | 'budget' | 'refused' | 'proxy';

export type RetryDecision =
  | { retry: true; delayMs: number; delaySource: RetryInfo['delaySource']; rateLimited: boolean }
  | { retry: false; why: StopReason };

/** A body that stopped early for these reasons (besides the retryable network codes) is resumed. */
const CUT_CODES = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH']);

/**
 * The one retry decision: whether another attempt follows this one, and after how long.
 * Every retry loop (requests, a download's resume) asks it; the rules are globus-sdk-python's.
 */
export function decideRetry(policy: RetryPolicy, attempt: Attempt): RetryDecision {
  const { retries, outcome } = attempt;
  const stop = (why: StopReason): RetryDecision => ({ retry: false, why });
  let retryable: boolean;
  let budget = policy.maxRetries;
  switch (outcome.kind) {
    case 'answer': {
      const retryAfter = parseRetryAfter(outcome.retryAfter);
      const rateLimited = outcome.status === 429;
      // A 429 that does not say when is waited out window by window, beyond the usual retries.
      const silentLimit = rateLimited && retryAfter === undefined;
      if (!isRetryableStatus(outcome.status, outcome.globusCode)) return stop('not-retryable');
      if (attempt.replayable === false) return stop('unreplayable');
      if (retries >= budget + (silentLimit ? policy.maxRateLimitRetries : 0)) return stop('budget');
      if (retryAfter !== undefined)
        return {
          retry: true,
          delayMs: Math.min(retryAfter, policy.maxDelayMs),
          delaySource: 'retry-after',
          rateLimited,
        };
      return {
        retry: true,
        delayMs: silentLimit ? rateLimitDelay(policy) : backoffDelay(retries + 1, policy),
        delaySource: 'backoff',
        rateLimited,
      };
    }
    case 'network': {
      const { code, proxy } = outcome;
      // A proxy that refuses, cannot be found or will not tunnel does not change its mind in a second.
      if (proxy && (proxy.final || !isRetryableNetworkError(code) || retries >= budget)) return stop('proxy');
      // Nothing listens at the address: worth one more look (a restart), not five.
      if (code === 'ECONNREFUSED' && !proxy) {
        budget = Math.min(1, budget);
        if (retries >= budget) return stop('refused');
      }
      retryable = isRetryableNetworkError(code);
      break;
    }
    case 'cut':
      retryable = isRetryableNetworkError(outcome.code) || (outcome.code !== undefined && CUT_CODES.has(outcome.code));
      break;
    case 'short':
      retryable = true;
      break;
  }
  if (!retryable) return stop('not-retryable');
  if (attempt.replayable === false) return stop('unreplayable');
  if (retries >= budget) return stop('budget');
  return { retry: true, delayMs: backoffDelay(retries + 1, policy), delaySource: 'backoff', rateLimited: false };
}

/** Tells the policy's hook about a retry the decision asked for, then waits it out (rejects when `signal` aborts). */
export async function waitToRetry(
  policy: RetryPolicy,
  decision: Extract<RetryDecision, { retry: true }>,
  info: Pick<RetryInfo, 'retry' | 'method' | 'url' | 'status' | 'globusCode' | 'errorCode'>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { delayMs, delaySource, rateLimited } = decision;
  policy.onRetry?.({ ...info, delayMs, delaySource, ...(rateLimited ? { rateLimited } : {}) });
  await policy.sleep(delayMs, signal);
}
