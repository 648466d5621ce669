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
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(exponential * (0.5 + 0.5 * policy.random()));
}

/** The wait before retrying a 429 that said nothing of when: one rate-limit window, plus up to half of one. */
export function rateLimitDelay(policy: Pick<RetryPolicy, 'rateLimitWindowMs' | 'random'>): number {
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

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', BODY_TOO_SLOW]);

/** The first `code` found on an error or along its `cause` chain. */
export function networkErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (RETRYABLE_NETWORK_CODES.has(code) || code.startsWith('E') || code.startsWith('UND_ERR') || code.startsWith('SREGISTRY_'))) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export const isRetryableNetworkError = (code: string | undefined): boolean => code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
export const isTimeoutCode = (code: string | undefined): boolean => code !== undefined && TIMEOUT_CODES.has(code);
