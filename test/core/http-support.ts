import type { TestSandbox } from '../support/sandbox.js';
import { waitFor } from '../support/wait.js';
import type { LoggedRequest } from '../../src/sandbox/faults.js';

/**
 * The sandbox's log entries for `path`, once at least `atLeast` of them arrived (the
 * sandbox logs when the response closes, which may be just after the client saw it).
 */
export async function requestsTo(
  sb: TestSandbox,
  path: string,
  atLeast: number,
  method?: string,
): Promise<LoggedRequest[]> {
  const matching = () => sb.context.faults.log.filter((e) => e.path === path && (!method || e.method === method));
  await waitFor(() => matching().length >= atLeast, `${atLeast} logged requests to ${path}`);
  return matching();
}

export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
