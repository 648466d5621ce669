/**
 * A forward proxy on 127.0.0.1, as a site's squid would be: CONNECT tunnels for https
 * targets, absolute-form requests for plain http ones, optional Basic proxy credentials
 * (407 without them), and a log of every request it handled.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ProxyLogEntry {
  /** CONNECT, or the method of an absolute-form request. */
  method: string;
  /** `host:port` for CONNECT, the full URL otherwise. */
  target: string;
  /** Whether it carried the right credentials (true when none are required). */
  authorized: boolean;
}

export interface ForwardProxy {
  url: string;
  port: number;
  log: ProxyLogEntry[];
  close(): Promise<void>;
}

export async function startForwardProxy(options: { user?: string; password?: string } = {}): Promise<ForwardProxy> {
  const log: ProxyLogEntry[] = [];
  const expected =
    options.user !== undefined
      ? `Basic ${Buffer.from(`${options.user}:${options.password ?? ''}`).toString('base64')}`
      : undefined;
  const authorized = (req: IncomingMessage): boolean =>
    expected === undefined || req.headers['proxy-authorization'] === expected;
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    const ok = authorized(req);
    log.push({ method: req.method ?? '', target: req.url ?? '', authorized: ok });
    if (!ok) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"', 'content-length': '0' });
      res.end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-length': '0' });
      res.end();
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const out = request(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
    req.on('error', () => out.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const ok = authorized(req);
    log.push({ method: 'CONNECT', target: req.url ?? '', authorized: ok });
    client.on('error', () => client.destroy());
    if (!ok) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
