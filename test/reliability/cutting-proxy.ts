/**
 * A proxy on 127.0.0.1 in front of a collection's HTTPS server that cuts connections the
 * way a flaky link does: a PUT's body after N bytes, a GET's answer after N bytes, or the
 * connection reset before any answer. Real HTTP on both sides; everything it does not cut
 * passes through unchanged.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CutRule {
  method: 'PUT' | 'GET';
  /** Which paths it applies to (default: every path of that method). */
  path?: RegExp;
  /** Bytes of the request body (PUT) or answer body (GET) let through before the cut; 'head' resets before any answer. */
  after: number | 'head';
  /** Cut only the first attempt at a path, or every one. */
  when: 'first' | 'every';
}

export interface CuttingProxy {
  url: string;
  rules: CutRule[];
  /** Every request: method, path, and whether it was cut. */
  seen: { method: string; path: string; cut: boolean }[];
  close(): Promise<void>;
}

export async function startCuttingProxy(upstreamUrl: string): Promise<CuttingProxy> {
  const target = new URL(upstreamUrl);
  const rules: CutRule[] = [];
  const seen: CuttingProxy['seen'] = [];
  const attempts = new Map<string, number>();

  const ruleFor = (req: IncomingMessage, path: string): CutRule | undefined => {
    const rule = rules.find((r) => r.method === req.method && (r.path === undefined || r.path.test(path)));
    if (!rule) return undefined;
    const key = `${req.method} ${path}`;
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    return rule.when === 'every' || n === 1 ? rule : undefined;
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const rule = ruleFor(req, path);
    const entry = { method: req.method ?? '', path, cut: false };
    seen.push(entry);
    const cut = (): void => {
      entry.cut = true;
      req.socket.destroy();
    };
    if (rule?.after === 'head') {
      cut();
      return;
    }
    const out = request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        let sent = 0;
        up.on('data', (chunk: Buffer) => {
          if (entry.cut) return;
          if (rule?.method === 'GET' && typeof rule.after === 'number' && sent + chunk.length >= rule.after) {
            res.write(chunk.subarray(0, rule.after - sent), () => {
              cut();
              up.destroy();
            });
            sent = rule.after;
            entry.cut = true;
            return;
          }
          sent += chunk.length;
          res.write(chunk);
        });
        up.on('end', () => {
          if (!entry.cut) res.end();
        });
        up.on('error', () => res.destroy());
      },
    );
    out.on('error', () => res.destroy());
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      if (entry.cut) return;
      if (rule?.method === 'PUT' && typeof rule.after === 'number' && received + chunk.length >= rule.after) {
        out.write(chunk.subarray(0, rule.after - received));
        received = rule.after;
        cut();
        out.destroy();
        return;
      }
      received += chunk.length;
      out.write(chunk);
    });
    req.on('end', () => {
      if (!entry.cut) out.end();
    });
    req.on('error', () => out.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    rules,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
