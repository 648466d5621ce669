import type { TestSandbox } from '../support/sandbox.js';
import type { LoggedRequest } from '../../src/sandbox/faults.js';

/** Polls `check` until it is true; fails after a generous bound (not a timing assertion). */
export async function waitFor(check: () => boolean, what: string, boundMs = 10_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The sandbox's log entries for `path`, once at least `atLeast` of them arrived (the
 * sandbox logs when the response closes, which may be just after the client saw it).
 */
export async function requestsTo(sb: TestSandbox, path: string, atLeast: number, method?: string): Promise<LoggedRequest[]> {
  const matching = () => sb.context.faults.log.filter((e) => e.path === path && (!method || e.method === method));
  await waitFor(() => matching().length >= atLeast, `${atLeast} logged requests to ${path}`);
  return matching();
}

export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
