import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { SandboxError, badRequest } from './errors.js';

/** One request as the sandbox's handlers see it. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Named groups of the route's pattern. */
  params: Record<string, string>;
  requestId: string;
  /** Set by handlers once the caller is known, for the request log. */
  clientId?: string;
  /** Set by the task submission handlers: the body, for the request log. */
  loggedBody?: Record<string, unknown>;
  /** A body-level fault (reset after N bytes, corrupt) the handler must apply, if one matched. */
  fault?: import('./faults.js').FaultAction;
}

export type Handler = (ex: Exchange) => Promise<void> | void;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

/** A small method + pattern router; patterns are anchored regular expressions with named groups. */
export class Router {
  readonly #routes: Route[] = [];

  /** How this origin renders a SandboxError; Transfer's shape unless told otherwise. */
  constructor(readonly renderError: (ex: Exchange, err: SandboxError) => void = sendTransferError) {}

  on(method: string, pattern: RegExp, handler: Handler): this {
    this.#routes.push({ method, pattern, handler });
    return this;
  }

  /** The route for a request, or a description of why there is none. */
  find(
    method: string,
    pathname: string,
  ): { handler: Handler; params: Record<string, string> } | 'not-found' | 'method' {
    let pathMatched = false;
    for (const route of this.#routes) {
      const match = route.pattern.exec(pathname);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) continue;
      return { handler: route.handler, params: { ...(match.groups ?? {}) } };
    }
    return pathMatched ? 'method' : 'not-found';
  }
}

export const newRequestId = (): string => randomBytes(6).toString('base64url');

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The Transfer API's error body: `{code, message, request_id, resource}` plus any extras. */
export function sendTransferError(ex: Exchange, err: SandboxError): void {
  sendJson(
    ex.res,
    err.status,
    {
      code: err.code,
      message: err.message,
      request_id: ex.requestId,
      resource: ex.url.pathname.replace(/^\/v0\.10/, ''),
      ...err.extra,
    },
    err.headers,
  );
}

const MAX_JSON_BODY = 1024 * 1024;

/** The request body as JSON; refuses bodies that are not JSON objects or are too large. */
export async function readJson(req: IncomingMessage, limit = MAX_JSON_BODY): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      throw new SandboxError(413, 'ClientError.RequestEntityTooLarge', `Request body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('Request body must be valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw badRequest('Request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** The request body as `application/x-www-form-urlencoded` fields. */
export async function readForm(req: IncomingMessage, limit = 64 * 1024): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      throw new SandboxError(413, 'ClientError.RequestEntityTooLarge', `Request body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
