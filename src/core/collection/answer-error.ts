import { SregistryError } from '../errors.js';
import { readLimited, ERROR_BODY_LIMIT } from '../http/body.js';
import { errorFromAnswer, parseGlobusError, safeText, type ErrorContext } from '../http/globus-error.js';
import type { HttpResponse } from '../http/request.js';

/** What a failed call to a collection's HTTPS server was about. */
export interface CallDescription {
  method: string;
  url: URL;
  /** Collection path as the caller gave it. */
  path: string;
  collectionId: string;
  /** The scopes the token was fetched for. */
  scope: string | readonly string[];
  ctx: ErrorContext;
}

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * The SregistryError for a non-success answer of a collection's HTTPS server. Beyond the
 * shared Globus mapping: a redirect is GCS sending an unauthenticated caller to Auth,
 * so it means the token was missing or not accepted (AUTH_FAILED); a 409 on PUT is a
 * missing parent folder (NOT_FOUND).
 */
export async function answerError(res: HttpResponse, call: CallDescription, token?: string): Promise<SregistryError> {
  const { bytes, truncated } = await readLimited(res.body, ERROR_BODY_LIMIT).catch(() => ({
    bytes: Buffer.alloc(0),
    truncated: false,
  }));
  const info = parseGlobusError(
    bytes,
    header(res.headers['content-type']),
    truncated || bytes.length >= ERROR_BODY_LIMIT,
  );
  const action = call.ctx.action ?? `${call.method} ${call.url.origin}${call.url.pathname}`;
  const tags = [`HTTP ${res.status}`, info.globusCode, info.requestId ? `request_id ${info.requestId}` : undefined]
    .filter(Boolean)
    .join(', ');
  const details = {
    status: res.status,
    ...(info.requestId ? { requestId: info.requestId } : {}),
    ...(info.globusCode ? { globusCode: info.globusCode } : {}),
  };
  // A server that echoes the request's token must not get it into a message.
  const secrets = [...(call.ctx.secrets ?? []), ...(token ? [token] : [])];
  const line = (text: string): string => safeText(text, secrets, 600);

  if (res.status >= 300 && res.status < 400) {
    const location = header(res.headers.location);
    const toAuth = location ? ` to ${safeUrl(location)}` : '';
    return new SregistryError(
      'AUTH_FAILED',
      line(
        `${action} failed: the collection's HTTPS server redirected${toAuth} (${tags}), so it did not accept the token; ` +
          `the client needs a token for ${typeof call.scope === 'string' ? call.scope : call.scope.join(' ')} - check that ${call.collectionId} is the collection served at ${call.url.origin}`,
      ),
      details,
    );
  }
  if (res.status === 409 && call.method === 'PUT') {
    const folder = call.path.replace(/\/[^/]*$/, '') || '/';
    return new SregistryError(
      'NOT_FOUND',
      line(
        `${action} failed: the folder ${folder} does not exist on collection ${call.collectionId} (${tags}); create the folder first`,
      ),
      details,
    );
  }
  return errorFromAnswer(
    { status: res.status, method: call.method, url: call.url, info, retries: res.retries },
    { ...call.ctx, secrets },
  );
}

/** Origin and path of a URL, never its query (it may carry names). */
function safeUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.origin}${u.pathname}`;
  } catch {
    return 'another location';
  }
}
