import { createServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SandboxError, badRequest } from './errors.js';
import { Router, newRequestId, sendJson, type Exchange } from './http.js';
import type { SandboxContext } from './context.js';
import type { FaultBook } from './faults.js';

export const LOOPBACK = '127.0.0.1';

/**
 * One origin: logs every request, applies request-level faults, routes, and renders
 * errors. Body-level faults are handed to the handler on `ex.fault`.
 */
export function dispatcher(ctx: SandboxContext, originName: string, router: Router) {
  // Tracked so close() can wait for handlers cut by the shutdown to clean up (temp files).
  return (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const work = handle(req, res);
    ctx.track(work);
    return work;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A target that is no URL (e.g. `http://[`) must not throw outside the try below:
    // an unhandled rejection there would stop the whole process.
    const parsed = URL.canParse(req.url ?? '/', ctx.origin) ? new URL(req.url ?? '/', ctx.origin) : undefined;
    const url = parsed ?? new URL('/', ctx.origin);
    const ex: Exchange = { req, res, url, params: {}, requestId: newRequestId() };
    const fault = parsed ? ctx.faults.take(originName, req.method ?? 'GET', url.pathname) : undefined;
    logRequest(ctx.faults, originName, ex, fault?.kind);
    try {
      if (!parsed) throw badRequest('The request target is not a valid URL path');
      if (fault?.kind === 'delay') await sleep(fault.ms, undefined, { signal: ctx.signal });
      if (fault?.kind === 'reset' && fault.afterBytes === undefined) {
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'status') {
        const headers: Record<string, string> =
          fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
        if (fault.rawBody !== undefined) {
          res.writeHead(fault.status, { 'content-type': 'text/html', ...headers });
          res.end(fault.rawBody);
        } else {
          router.renderError(
            ex,
            new SandboxError(
              fault.status,
              fault.code ?? statusCode(fault.status),
              fault.message ?? 'Injected fault',
              fault.extra ?? {},
              headers,
            ),
          );
        }
        req.resume();
        return;
      }
      if (fault?.kind === 'reset' || fault?.kind === 'corrupt') ex.fault = fault;
      const found = router.find(req.method ?? 'GET', url.pathname);
      if (found === 'not-found')
        throw new SandboxError(404, 'ClientError.NotFound', `No such resource: ${url.pathname}`);
      if (found === 'method')
        throw new SandboxError(
          405,
          'ClientError.MethodNotAllowed',
          `Method ${req.method} is not allowed on ${url.pathname}`,
        );
      ex.params = found.params;
      await found.handler(ex);
    } catch (err) {
      // Stopping (close() aborts delays and cuts connections) is not a failure to report.
      if (res.headersSent || res.destroyed || ctx.signal.aborted) {
        res.destroy();
        return;
      }
      if (err instanceof SandboxError) {
        router.renderError(ex, err);
      } else {
        sendJson(res, 500, {
          code: 'InternalError',
          message: 'The sandbox failed to handle this request',
          request_id: ex.requestId,
        });
        process.emitWarning(`sandbox: ${(err as Error)?.stack ?? String(err)}`);
      }
      req.resume();
    }
  }
}

function statusCode(status: number): string {
  if (status === 429) return 'RateLimited';
  if (status === 503) return 'ServiceUnavailable';
  if (status >= 500) return 'InternalError';
  return 'ClientError';
}

/**
 * Logged when the request arrives, so a client that has its answer always finds the
 * entry; status and caller are read live from the exchange while it is open (copies
 * taken by `requestsSince` or JSON freeze them). Once the response closes they are
 * kept as plain values, so the log holds no request, response or socket.
 */
function logRequest(book: FaultBook, origin: string, ex: Exchange, fault: string | undefined): void {
  // The closures below reach the exchange only through `seen`, so dropping it there frees it.
  const seen: { ex?: Exchange; status: number; clientId?: string; body?: Record<string, unknown> } = { ex, status: 0 };
  book.record({
    time: new Date().toISOString(),
    origin,
    method: ex.req.method ?? 'GET',
    path: ex.url.pathname,
    query: ex.url.search,
    get status() {
      return seen.ex ? seen.ex.res.statusCode : seen.status;
    },
    requestId: ex.requestId,
    get clientId() {
      return seen.ex ? seen.ex.clientId : seen.clientId;
    },
    get body() {
      return seen.ex ? seen.ex.loggedBody : seen.body;
    },
    ...(fault ? { fault: fault as never } : {}),
  });
  ex.res.once('close', () => {
    const open = seen.ex;
    if (!open) return;
    seen.status = open.res.statusCode;
    if (open.clientId !== undefined) seen.clientId = open.clientId;
    if (open.loggedBody !== undefined) seen.body = open.loggedBody;
    delete seen.ex;
  });
}

/** Listen on a free loopback port; resolves with the origin URL. */
export async function listen(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return `http://${LOOPBACK}:${bound}`;
}

export function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Server {
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => void handler(req, res));
  return server;
}
