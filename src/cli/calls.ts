/** How one Globus call is shown: method, path, status, request id, retries, time. */
import type { ApiCallLike } from '../index.js';

export function describeCall(call: ApiCallLike): string {
  const details = [
    call.requestId ? `request id ${call.requestId}` : undefined,
    call.retries > 0 ? `${call.retries} ${call.retries === 1 ? 'retry' : 'retries'}` : undefined,
    `${Math.round(call.durationMs)} ms`,
  ].filter((d) => d !== undefined);
  return `${call.method} ${urlPath(call.url)} ${call.status} (${details.join(', ')})`;
}

/** Path of a call's URL; the query is left out (it may carry filters, never needed to follow the calls). */
export function urlPath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0] ?? url;
  }
}
