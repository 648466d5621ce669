import type { CustomFetch } from 'openid-client';
import { SregistryError } from '../errors.js';
import { readLimited } from '../http/body.js';
import type { Network } from '../http/agent.js';
import { request, type ApiCall } from '../http/request.js';
import type { RetryPolicy } from '../http/retry.js';

const AUTH_BODY_LIMIT = 1024 * 1024;

export interface OidcFetchOptions {
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  /** Strings that must never appear in error messages. */
  secrets: string[];
  onCall?: (call: ApiCall) => void;
  network?: Network;
}

/**
 * A fetch for openid-client that goes through the core's transport: the shared agent,
 * the secure-URL check and the retry policy. Error answers are handed back as responses
 * so openid-client reads the OAuth error itself.
 */
export function oidcFetch(options: OidcFetchOptions): CustomFetch {
  return async (url, init) => {
    const body = init.body instanceof URLSearchParams ? init.body.toString() : init.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      throw new TypeError('Unsupported request body for Globus Auth');
    }
    try {
      const res = await request({
        method: init.method,
        url,
        headers: init.headers,
        ...(body !== undefined && body !== null ? { body } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
        ...(options.retry ? { retry: options.retry } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.onCall ? { onCall: options.onCall } : {}),
        ...(options.network ? { network: options.network } : {}),
        errorContext: {
          action: `Globus Auth ${init.method} ${new URL(url).pathname}`,
          secrets: options.secrets,
          serviceSetting: 'GLOBUS_SDK_SERVICE_URL_AUTH',
        },
        throwOnError: false,
      });
      const { bytes, truncated } = await readLimited(res.body, AUTH_BODY_LIMIT);
      if (truncated)
        throw new SregistryError(
          'INVALID_RESPONSE',
          `Globus Auth answered more than ${AUTH_BODY_LIMIT} bytes; check GLOBUS_SDK_SERVICE_URL_AUTH`,
        );
      const headers = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
      }
      const empty = res.status === 204 || res.status === 304;
      return new Response(empty ? null : new Uint8Array(bytes), { status: res.status, headers });
    } catch (err) {
      // openid-client aborts its own signal when its overall timeout runs out.
      if (
        err instanceof SregistryError &&
        err.code === 'ABORTED' &&
        (init.signal?.reason as Error | undefined)?.name === 'TimeoutError'
      ) {
        throw new SregistryError(
          'TIMEOUT',
          `Globus Auth did not answer in time (${init.method} ${new URL(url).pathname}); check the network and GLOBUS_SDK_SERVICE_URL_AUTH`,
        );
      }
      throw err;
    }
  };
}
