/**
 * A hostile Globus on 127.0.0.1: a proxy in front of a sandbox origin that passes every
 * request through, except those a test rewrites (bad JSON, huge or lying answers,
 * redirects elsewhere, wrong Content-Length). Real HTTP on both sides; the sandbox does
 * the honest part.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Upstream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Answers a request itself (return true), or leaves it to the upstream (false). */
export type Rewrite = (
  req: IncomingMessage,
  res: ServerResponse,
  upstream: () => Promise<Upstream>,
) => Promise<boolean> | boolean;

export interface HostileServer {
  url: string;
  /** Rewrites tried in order; cleared between tests. */
  rewrites: Rewrite[];
  /** Tried before a request's body is read: one that returns true owns the request, body and all. */
  takeovers: ((req: IncomingMessage, res: ServerResponse) => boolean)[];
  /** Requests seen: method, path, whether they carried an Authorization header. */
  seen: { method: string; path: string; authorized: boolean }[];
  close(): Promise<void>;
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: target.host };
    const out = request(new URL(req.url ?? '/', target), { method: req.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

export async function startHostileServer(upstreamUrl: string): Promise<HostileServer> {
  const target = new URL(upstreamUrl);
  const rewrites: Rewrite[] = [];
  const takeovers: HostileServer['takeovers'] = [];
  const seen: HostileServer['seen'] = [];
  const server: Server = createServer((req, res) => {
    for (const takeover of takeovers) {
      if (!takeover(req, res)) continue;
      seen.push({
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0]!,
        authorized: req.headers.authorization !== undefined,
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        seen.push({
          method: req.method ?? '',
          path: (req.url ?? '').split('?')[0]!,
          authorized: req.headers.authorization !== undefined,
        });
        const body = Buffer.concat(chunks);
        const upstream = () => forward(target, req, body);
        try {
          for (const rewrite of rewrites) if (await rewrite(req, res, upstream)) return;
          const got = await upstream();
          const headers = { ...got.headers };
          delete headers['transfer-encoding'];
          delete headers.connection;
          delete headers['keep-alive'];
          res.writeHead(got.status, { ...headers, 'content-length': String(got.body.length) });
          res.end(got.body);
        } catch {
          res.destroy();
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    rewrites,
    takeovers,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Answers a JSON-ish text with a status. */
export function answer(
  res: ServerResponse,
  status: number,
  text: string | Buffer,
  headers: Record<string, string> = {},
): true {
  const body = typeof text === 'string' ? Buffer.from(text) : text;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length), ...headers });
  res.end(body);
  return true;
}
