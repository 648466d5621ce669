/**
 * A proxy URL's userinfo never shows, whatever its shape: a token given as the user with
 * no password, a password shorter than 4 characters. The proxy here passes Auth through
 * and refuses every Transfer request with an error body that repeats the credentials it was sent (as some proxies' error
 * pages name the user), and the CLI runs with --debug (stack and causes). A SOCKS proxy
 * from the environment is refused, not used and not bypassed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { assertBuilt, Cli, sandboxEnv } from './support.js';

const TOKEN_USER = 'tok3n-given-as-the-proxy-user';
const SHORT = { user: 'ab', password: 'pw' };

describe('proxy credentials of any shape stay hidden', () => {
  let sb: TestSandbox;
  let proxy: Server;
  let port: number;
  let env: NodeJS.ProcessEnv;
  let seen = 0;

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox();
    proxy = createServer((req, res) => {
      seen++;
      if (!(req.url ?? '').includes('/v0.10/')) {
        // Auth goes through, so the refusal comes on a Transfer call, whose error body is reported.
        const out = request(
          req.url!,
          { method: req.method, headers: { ...req.headers, 'proxy-authorization': '' } },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        out.on('error', () => res.destroy());
        req.pipe(out);
        return;
      }
      const basic = /^Basic (.+)$/.exec(req.headers['proxy-authorization'] ?? '')?.[1];
      const userinfo = basic ? Buffer.from(basic, 'base64').toString() : '(none)';
      const body = JSON.stringify({
        code: 'Forbidden',
        message: `proxy refused ${userinfo} (as http://${userinfo}@127.0.0.1:${port}) for ${req.url}`,
      });
      res.writeHead(403, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    port = (proxy.address() as AddressInfo).port;
    env = await sandboxEnv(sb);
  });
  afterAll(async () => {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
    await sb.stop();
  });

  it.each([
    ['a token as the user, no password', `http://${TOKEN_USER}@127.0.0.1:PORT`, [TOKEN_USER]],
    [
      'a short user and password',
      `http://${SHORT.user}:${SHORT.password}@127.0.0.1:PORT`,
      [`${SHORT.user}:${SHORT.password}`, `//${SHORT.user}:`],
    ],
  ])('%s: not in any output, --debug included', async (_what, template, hidden) => {
    const proxyUrl = template.replace('PORT', String(port));
    const before = seen;
    const run = await new Cli(env).run(['search', 'anything', '--endpoint', sb.collection.id, '--debug'], {
      ...env,
      HTTP_PROXY: proxyUrl,
      HTTPS_PROXY: proxyUrl,
    });
    expect(run.code).not.toBe(0);
    expect(seen).toBeGreaterThan(before);
    const out = run.stdout + run.stderr;
    // The proxy's own words came through, minus the credentials.
    expect(out).toMatch(/proxy refused/);
    expect(out).toMatch(/\[redacted\]/);
    for (const secret of hidden) expect([secret, out.includes(secret)]).toEqual([secret, false]);
  });

  it('a SOCKS proxy in the environment is refused with one line, and nothing is sent', async () => {
    const before = seen;
    const run = await new Cli(env).run(['search', 'anything', '--endpoint', sb.collection.id, '--debug'], {
      ...env,
      HTTPS_PROXY: `socks5://${TOKEN_USER}@127.0.0.1:${port}`,
      HTTP_PROXY: `socks5://${TOKEN_USER}@127.0.0.1:${port}`,
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(
      /^error: .*SOCKS proxy, which is not supported; give an http:\/\/ or https:\/\/ proxy URL \[INVALID_INPUT\]$/m,
    );
    expect(run.stderr).not.toMatch(/ExperimentalWarning/);
    expect(run.stdout + run.stderr).not.toContain(TOKEN_USER);
    expect(seen).toBe(before);
  });
});
