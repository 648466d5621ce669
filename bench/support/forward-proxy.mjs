// A forward proxy on 127.0.0.1 for the bench: absolute-form requests for http targets,
// CONNECT tunnels for https ones, a log of the URLs it carried.
import { createServer, request } from 'node:http';
import { connect } from 'node:net';

export async function startForwardProxy() {
  const log = [];
  const sockets = new Set();
  const server = createServer((req, res) => {
    log.push(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const out = request(new URL(req.url ?? ''), { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req, client, head) => {
    log.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    log,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
