/**
 * The floor rate applies to every answer, API JSON included: a server that drips its
 * answer is cut after one window below the floor, retried like a reset, and ends as
 * TIMEOUT; an answer longer than its bound is cut at the first byte beyond.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeHttp, networkFor } from '../../../src/core/http/agent.js';
import { request, requestJson } from '../../../src/core/http/request.js';
import { isSregistryError } from '../../../src/core/errors.js';

describe('every answer under the floor rate and its bound', () => {
  let server: Server;
  let base: string;
  let seen = 0;
  const network = networkFor({ httpProxy: '', httpsProxy: '', noProxy: '' });

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen++;
      if (req.url === '/drip') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 100);
        res.on('close', () => clearInterval(timer));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(10_000, 1));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await closeHttp();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('a dripping JSON answer ends by the floor, is retried, then TIMEOUT', async () => {
    seen = 0;
    const err = await requestJson({
      url: `${base}/drip`,
      network,
      speedFloor: { bytesPerSecond: 100, windowMs: 300 },
      retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 },
    }).catch((e: unknown) => e);
    expect(isSregistryError(err) && err.code).toBe('TIMEOUT');
    expect((err as Error).message).toContain('SREGISTRY_BODY_TOO_SLOW');
    expect(seen).toBe(2);
  });

  it('a body longer than its bound fails at the first byte beyond', async () => {
    const res = await request({ url: `${base}/long`, network, maxBodyBytes: 9_999, retry: false });
    const err = await res.text().catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('SREGISTRY_BODY_TOO_LONG');
    const whole = await request({ url: `${base}/long`, network, maxBodyBytes: 10_000, retry: false });
    expect((await whole.text()).length).toBe(10_000);
  });
});
