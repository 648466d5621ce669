/**
 * Globus limits each user to about 20 Transfer requests a second over 10 s windows (Globus
 * FAQ) and answers 429 beyond; whether with `Retry-After` is unverified (a switch). Counted
 * per client over a sliding window of the world's `rate_limit_window_ms`.
 */
import type { SandboxContext } from '../context.js';
import { SandboxError } from '../errors.js';

const seen = new WeakMap<SandboxContext, Map<string, number[]>>();

/** Counts one request of `clientId`; throws 429 when the window is full. */
export function countRequest(ctx: SandboxContext, clientId: string, now = Date.now()): void {
  const {
    rate_limit_requests: limit,
    rate_limit_window_ms: window,
    rate_limit_retry_after: retryAfter,
  } = ctx.world.behaviour;
  if (limit <= 0) return;
  let clients = seen.get(ctx);
  if (!clients) seen.set(ctx, (clients = new Map()));
  const times = (clients.get(clientId) ?? []).filter((t) => t > now - window);
  clients.set(clientId, times);
  if (times.length >= limit) {
    const headers: Record<string, string> =
      retryAfter === 'seconds'
        ? { 'retry-after': String(Math.max(1, Math.ceil((times[0]! + window - now) / 1000))) }
        : {};
    throw new SandboxError(
      429,
      'RequestLimitExceeded',
      `Too many requests: at most ${limit} per ${window / 1000} s per client`,
      {},
      headers,
    );
  }
  times.push(now);
}

/** Forgets every count (admin API, tests). */
export function resetRateLimit(ctx: SandboxContext): void {
  seen.delete(ctx);
}
