/**
 * Proxies as curl reads them, through undici's EnvHttpProxyAgent: which requests go
 * through a real forward proxy on 127.0.0.1 for each NO_PROXY form (the report of
 * Network.proxyFor must match what the dispatcher did), CONNECT for https targets, the
 * environment's variables, bad proxy URLs, and a refused service URL failing fast.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeHttp, networkFor, resolveProxies } from '../../../src/core/http/agent.js';
import { request, requestJson } from '../../../src/core/http/request.js';
import { isSregistryError } from '../../../src/core/errors.js';
import { deadPort, startForwardProxy, type ForwardProxy } from '../../support/forward-proxy.js';

describe('proxies', () => {
  let proxy: ForwardProxy;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    proxy = await startForwardProxy({ user: 'u', password: 'secret-pw' });
    server = createServer((_req, res) => res.end('{"ok":true}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await closeHttp();
    await proxy.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const fast = { maxRetries: 0 };

  it.each([
    ['', true],
    ['*', false],
    ['127.0.0.1', false],
    ['127.0.0.1:PORT', false],
    ['127.0.0.1:1', true],
    ['localhost', true],
    ['example.org, 127.0.0.1', false],
    ['.0.0.1', false],
    ['other.example', true],
  ])('NO_PROXY %j: through the proxy = %s, as reported', async (noProxyTemplate, proxied) => {
    const noProxy = noProxyTemplate.replace('PORT', String(port));
    const network = networkFor({ httpProxy: `http://u:secret-pw@127.0.0.1:${proxy.port}`, httpsProxy: '', noProxy });
    const url = new URL(`http://127.0.0.1:${port}/probe/${encodeURIComponent(noProxy)}`);
    const before = proxy.log.length;
    expect(await requestJson({ url, network, retry: fast })).toEqual({ ok: true });
    const went = proxy.log.slice(before).some((e) => e.target === url.href);
    expect([noProxy, went, network.proxyFor(url) !== undefined]).toEqual([noProxy, proxied, proxied]);
  });

  it('an https target goes through a CONNECT tunnel with the credentials; its failure is typed', async () => {
    const network = networkFor({
      httpsProxy: `http://u:secret-pw@127.0.0.1:${proxy.port}`,
      httpProxy: '',
      noProxy: '',
    });
    const before = proxy.log.length;
    // The tunnel reaches a plain http server, so TLS fails after the CONNECT: what counts is the CONNECT.
    const err = await request({ url: `https://127.0.0.1:${port}/x`, network, retry: fast }).catch((e: unknown) => e);
    expect(isSregistryError(err)).toBe(true);
    expect(String((err as Error).message)).not.toContain('secret-pw');
    expect(proxy.log.slice(before)).toEqual([{ method: 'CONNECT', target: `127.0.0.1:${port}`, authorized: true }]);
  });

  it('reads the environment as curl does: lower-case first, a bare host:port is http, NO_PROXY/no_proxy', () => {
    const env = {
      HTTPS_PROXY: 'http://upper:1',
      https_proxy: 'proxy.example:3128',
      HTTP_PROXY: 'http://h:2',
      NO_PROXY: '.example.org',
    };
    const got = resolveProxies({}, env);
    expect(got.https).toEqual({ url: 'http://proxy.example:3128', source: 'https_proxy' });
    expect(got.http).toEqual({ url: 'http://h:2', source: 'HTTP_PROXY' });
    expect(got.noProxy).toBe('.example.org');
    expect(resolveProxies({ httpsProxy: '' }, env).https).toBeUndefined();
    const network = networkFor({
      httpsProxy: 'http://p.example:3128',
      httpProxy: '',
      noProxy: 'example.org,*.internal',
    });
    expect(network.proxyFor(new URL('https://transfer.api.globus.org/'))?.hostPort).toBe('p.example:3128');
    expect(network.proxyFor(new URL('https://a.b.example.org/'))).toBeUndefined();
    expect(network.proxyFor(new URL('https://example.org/'))).toBeUndefined();
    expect(network.proxyFor(new URL('https://internal/'))?.hostPort).toBe('p.example:3128');
    expect(network.proxyFor(new URL('https://x.internal/'))).toBeUndefined();
  });

  it('a proxy URL that does not parse is refused without echoing it', () => {
    let err: unknown;
    try {
      resolveProxies({}, { HTTPS_PROXY: 'http://user:p@ss word@[bad' });
    } catch (e) {
      err = e;
    }
    expect(isSregistryError(err) && err.code).toBe('INVALID_INPUT');
    expect((err as Error).message).toContain('HTTPS_PROXY');
    expect((err as Error).message).not.toContain('ss word');
  });

  it('a refused service URL fails after one retry and names the setting and the sandbox', async () => {
    const dead = await deadPort();
    const retries: number[] = [];
    const err = await requestJson({
      url: `http://127.0.0.1:${dead}/v0.10/endpoint_search`,
      network: networkFor({ httpProxy: '', httpsProxy: '', noProxy: '' }),
      retry: { baseDelayMs: 1, maxDelayMs: 2, onRetry: (i) => retries.push(i.retry) },
      errorContext: { serviceSetting: 'GLOBUS_SDK_SERVICE_URL_TRANSFER' },
    }).catch((e: unknown) => e);
    expect(retries).toEqual([1]);
    expect(isSregistryError(err) && err.code).toBe('NETWORK');
    expect((err as Error).message).toMatch(/ECONNREFUSED.*GLOBUS_SDK_SERVICE_URL_TRANSFER.*sandbox may not be running/);
  });
});
