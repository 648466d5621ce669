import { SregistryError, type ErrorCode } from '../errors.js';
import { ERROR_BODY_LIMIT } from './body.js';
import { URL_USERINFO } from '../redact.js';

/** What a Globus error body says, from any of its shapes. */
export interface GlobusErrorInfo {
  /** Globus `code` (Transfer) or Auth's `errors[0].code` / `error`. */
  globusCode?: string;
  /** Human text: Transfer `message`, Auth `error_description` / `errors[0].detail`. */
  message?: string;
  requestId?: string;
  resource?: string;
  /** ConsentRequired: the scopes to request. */
  requiredScopes?: string[];
  /** The body was not JSON (an HTML page from a proxy, plain text), or too long to read. */
  nonJson?: { contentType?: string; truncated: boolean };
}

/** Context that makes a message say what to do. */
export interface ErrorContext {
  /** The client id, named in permission advice as `<id>@clients.auth.globus.org`. */
  clientId?: string;
  /** What the caller was doing, e.g. `listing /shub/ on endpoint <id>`; else method and URL. */
  action?: string;
  /** Strings that must never appear in a message (tokens, secrets). */
  secrets?: string[];
  /** The setting that names the service's URL (GLOBUS_SDK_SERVICE_URL_AUTH...), named when nothing answers there. */
  serviceSetting?: string;
}

export interface FailedAnswer {
  status: number;
  method: string;
  url: URL;
  info: GlobusErrorInfo;
  /** Retries spent before giving up. */
  retries: number;
}

const asString = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const asStrings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((s) => typeof s === 'string') && v.length > 0 ? (v as string[]) : undefined;

/** Reads a Globus error body (Transfer, Auth, GCS or anything else). Never throws. */
export function parseGlobusError(bytes: Buffer, contentType: string | undefined, truncated: boolean): GlobusErrorInfo {
  let doc: unknown;
  if (!truncated && bytes.length > 0) {
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch {
      doc = undefined;
    }
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    return { nonJson: { ...(contentType ? { contentType: contentType.split(';')[0]!.trim() } : {}), truncated } };
  }
  const body = doc as Record<string, unknown>;
  const first =
    Array.isArray(body.errors) && body.errors[0] && typeof body.errors[0] === 'object'
      ? (body.errors[0] as Record<string, unknown>)
      : {};
  const authParams =
    body.authorization_parameters && typeof body.authorization_parameters === 'object'
      ? (body.authorization_parameters as Record<string, unknown>)
      : {};
  const firstAuthParams =
    first.authorization_parameters && typeof first.authorization_parameters === 'object'
      ? (first.authorization_parameters as Record<string, unknown>)
      : {};
  const info: GlobusErrorInfo = {};
  const code = asString(body.code) ?? asString(first.code) ?? asString(body.error);
  const message =
    asString(body.message) ??
    asString(body.error_description) ??
    asString(first.detail) ??
    asString(first.title) ??
    asString(body.detail);
  const requestId = asString(body.request_id) ?? asString(first.id);
  const requiredScopes =
    asStrings(body.required_scopes) ??
    asStrings(authParams.required_scopes) ??
    asStrings(firstAuthParams.required_scopes);
  if (code) info.globusCode = code;
  if (message) info.message = message;
  if (requestId) info.requestId = requestId;
  if (asString(body.resource)) info.resource = asString(body.resource)!;
  if (requiredScopes) info.requiredScopes = requiredScopes;
  return info;
}

/** The stable code for a failed answer. */
export function errorCodeFor(status: number, globusCode?: string): ErrorCode {
  const code = globusCode ?? '';
  if (status === 401) return 'AUTH_FAILED';
  if (code === 'ConsentRequired' || code.endsWith('.ConsentRequired')) return 'CONSENT_REQUIRED';
  if (status === 409 || code === 'Duplicate' || code === 'Conflict' || /(^|\.)(Exists|Duplicate|Conflict)$/.test(code))
    return 'CONFLICT';
  if (status === 404 || /(^|\.)NotFound$/.test(code)) return 'NOT_FOUND';
  if (status === 403 || /PermissionDenied$/.test(code)) return 'PERMISSION_DENIED';
  if (code.includes('ExternalError') || code.includes('EndpointError')) return 'EXTERNAL_ERROR';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'SERVICE_UNAVAILABLE';
  if (status >= 300 && status < 400) return 'INVALID_RESPONSE';
  return 'GLOBUS_ERROR';
}

function advice(code: ErrorCode, answer: FailedAnswer, ctx: ErrorContext): string {
  const identity = ctx.clientId ? `${ctx.clientId}@clients.auth.globus.org` : '<client_id>@clients.auth.globus.org';
  const retried = answer.retries > 0 ? ` after ${answer.retries} ${answer.retries === 1 ? 'retry' : 'retries'}` : '';
  switch (code) {
    case 'AUTH_FAILED':
      return 'check GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET (or the token expired and could not be renewed)';
    case 'CONSENT_REQUIRED':
      return `request a token for the required scopes${answer.info.requiredScopes ? `: ${answer.info.requiredScopes.join(' ')}` : ''}`;
    case 'PERMISSION_DENIED':
      return `grant the client ${identity} a permission on the collection (or use a path it may reach)`;
    case 'NOT_FOUND':
      return 'check the endpoint id and the path';
    case 'CONFLICT':
      return 'it already exists';
    case 'RATE_LIMITED':
      return `Globus kept answering 429${retried}; wait a minute and try again`;
    case 'EXTERNAL_ERROR':
      if ((answer.info.globusCode ?? '').endsWith('GCDisconnected'))
        return 'start Globus Connect Personal on that machine (or use --transport https), then try again';
      return 'the endpoint itself failed: check that it is online (Globus Connect running) and that the path is valid on it';
    case 'SERVICE_UNAVAILABLE':
      return `the service kept failing${retried}; try again later`;
    case 'INVALID_RESPONSE':
      return 'the service redirected instead of answering; check the service URL and the token scopes';
    default:
      return 'see the Globus message above';
  }
}

const ONE_LINE_MAX = 300;

/** One line, bounded, with every secret and bearer token blanked out. */
export function safeText(text: string, secrets: readonly string[] = [], max = ONE_LINE_MAX): string {
  let out = text.replace(/\s+/g, ' ').trim();
  // Longest first, so a user:password pair goes whole before its parts.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  out = out.replace(URL_USERINFO, '$1[redacted]@');
  out = out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]');
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

/** The SregistryError for a non-success answer: one line, saying what failed and what to do. */
export function errorFromAnswer(answer: FailedAnswer, ctx: ErrorContext = {}): SregistryError {
  const { status, info } = answer;
  const code = errorCodeFor(status, info.globusCode);
  const what = ctx.action ?? `${answer.method} ${answer.url.origin}${answer.url.pathname}`;
  let said: string;
  if (info.message) said = info.message;
  else if (info.nonJson?.truncated) said = `an error body over ${ERROR_BODY_LIMIT / 1024} KiB that was not read`;
  else if (info.nonJson) said = `a non-JSON answer${info.nonJson.contentType ? ` (${info.nonJson.contentType})` : ''}`;
  else said = 'no error message';
  const tags = [`HTTP ${status}`, info.globusCode, info.requestId ? `request_id ${info.requestId}` : undefined]
    .filter(Boolean)
    .join(', ');
  const message = safeText(
    `${what} failed: ${safeText(said, ctx.secrets, 200)} (${tags}); ${advice(code, answer, ctx)}`,
    ctx.secrets,
    600,
  );
  return new SregistryError(code, message, {
    status,
    ...(info.requestId ? { requestId: info.requestId } : {}),
    ...(info.globusCode ? { globusCode: info.globusCode } : {}),
    ...(info.requiredScopes ? { requiredScopes: info.requiredScopes } : {}),
  });
}
