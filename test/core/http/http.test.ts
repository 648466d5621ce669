import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { caught } from '../../support/errors.js';
import { closeCoreAndSandbox, resetFaults } from '../../support/lifecycle.js';
import { basicAuth } from '../../support/tokens.js';
import { request, requestJson, type RetryInfo } from '../../../src/core/http/index.js';
import type { FaultAction, FaultMatch } from '../../../src/sandbox/faults.js';
import { escapeRegex, requestsTo } from '../http-support.js';

const DISCOVERY = '/.well-known/openid-configuration';
/** Retries without real waiting for backoff (Retry-After still applies when the answer sends it). */
// rateLimitWindowMs: a 429 without Retry-After waits 20 ms here, not Globus's 10 s window.
const FAST = { baseDelayMs: 1, rateLimitWindowMs: 20 };

describe('core http transport', () => {
  let sb: TestSandbox;
  let seq = 0;
  const fault = (match: FaultMatch, action: FaultAction, times = 1) => sb.context.faults.add({ match, action, times });
  const onPath = (path: string): FaultMatch => ({ path: `^${escapeRegex(path)}$` });
  const freshPath = () => `/v0.10/http-test-${++seq}`;

  beforeAll(async () => {
    sb = await startTestSandbox();
  });
  beforeEach(() => resetFaults(sb));
  afterAll(() => closeCoreAndSandbox(sb));

  it('retries 429 honouring Retry-After, then returns the JSON answer', async () => {
    fault(onPath(DISCOVERY), { kind: 'status', status: 429, retryAfter: 0 }, 2);
    const retries: RetryInfo[] = [];
    const doc = await requestJson<{ issuer: string }>({
      url: `${sb.url}${DISCOVERY}`,
      retry: { onRetry: (i) => retries.push(i) },
    });
    expect(doc.issuer).toBe(sb.url);
    expect(retries.map((r) => [r.retry, r.status, r.delaySource, r.delayMs])).toEqual([
      [1, 429, 'retry-after', 0],
      [2, 429, 'retry-after', 0],
    ]);
    const log = await requestsTo(sb, DISCOVERY, 3);
    expect(log.map((e) => e.status)).toEqual([429, 429, 200]);
  });

  it('waits the Retry-After seconds of a 503', async () => {
    fault(onPath(DISCOVERY), { kind: 'status', status: 503, retryAfter: 1 }, 1);
    const delays: number[] = [];
    const res = await request({ url: `${sb.url}${DISCOVERY}`, retry: { onRetry: (i) => delays.push(i.delayMs) } });
    expect(res.status).toBe(200);
    expect(res.retries).toBe(1);
    await res.dump();
    expect(delays).toEqual([1000]);
    expect((await requestsTo(sb, DISCOVERY, 2)).map((e) => e.status)).toEqual([503, 200]);
  });

  it('retries a 500 but not a 502 ExternalError.DirListingFailed', async () => {
    fault(onPath(DISCOVERY), { kind: 'status', status: 500, code: 'InternalError' }, 1);
    await expect(requestJson({ url: `${sb.url}${DISCOVERY}`, retry: FAST })).resolves.toHaveProperty('issuer');
    expect(await requestsTo(sb, DISCOVERY, 2)).toHaveLength(2);

    const path = freshPath();
    fault(
      onPath(path),
      {
        kind: 'status',
        status: 502,
        code: 'ExternalError.DirListingFailed.GCDisconnected',
        message: 'GC endpoint is not connected',
      },
      3,
    );
    const err = await caught(requestJson({ url: `${sb.url}${path}`, retry: FAST }));
    expect(err.code).toBe('EXTERNAL_ERROR');
    expect(err.globusCode).toBe('ExternalError.DirListingFailed.GCDisconnected');
    expect(err.status).toBe(502);
    const log = await requestsTo(sb, path, 1);
    expect(log).toHaveLength(1);
    expect(err.requestId).toBe(log[0]!.requestId);
    expect(err.message).toContain('ExternalError.DirListingFailed.GCDisconnected');
    expect(err.message).toContain(`request_id ${log[0]!.requestId}`);
    expect(err.message).not.toMatch(/\n/);
  });

  it('retries a connection reset', async () => {
    fault(onPath(DISCOVERY), { kind: 'reset' }, 2);
    const codes: (string | undefined)[] = [];
    const doc = await requestJson<{ issuer: string }>({
      url: `${sb.url}${DISCOVERY}`,
      retry: { ...FAST, onRetry: (i) => codes.push(i.errorCode) },
    });
    expect(doc.issuer).toBe(sb.url);
    expect(codes).toHaveLength(2);
    expect(codes.every((c) => c === 'UND_ERR_SOCKET' || c === 'ECONNRESET')).toBe(true);
    expect(await requestsTo(sb, DISCOVERY, 3)).toHaveLength(3);
  });

  it('gives up after 5 retries (6 attempts) with RATE_LIMITED', async () => {
    const path = freshPath();
    fault(onPath(path), { kind: 'status', status: 429, retryAfter: 0 }, 20);
    const err = await caught(requestJson({ url: `${sb.url}${path}` }));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.message).toContain('after 5 retries');
    expect(await requestsTo(sb, path, 6)).toHaveLength(6);
  });

  it('maps 503 without Retry-After to SERVICE_UNAVAILABLE after the backoff retries', async () => {
    const path = freshPath();
    fault(onPath(path), { kind: 'status', status: 503 }, 20);
    const err = await caught(requestJson({ url: `${sb.url}${path}`, retry: { ...FAST, maxRetries: 2 } }));
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(await requestsTo(sb, path, 3)).toHaveLength(3);
  });

  it('ends promptly with ABORTED when the signal aborts during a backoff', async () => {
    const path = freshPath();
    // Retry-After is capped at 10 s per wait: without the abort this would end as SERVICE_UNAVAILABLE.
    fault(onPath(path), { kind: 'status', status: 503, retryAfter: 30 }, 20);
    const controller = new AbortController();
    const err = await caught(
      requestJson({
        url: `${sb.url}${path}`,
        signal: controller.signal,
        retry: { onRetry: () => setTimeout(() => controller.abort(), 20) },
      }),
    );
    expect(err.code).toBe('ABORTED');
    expect(await requestsTo(sb, path, 1)).toHaveLength(1);
  });

  it('refuses to start with an aborted signal', async () => {
    const err = await caught(request({ url: `${sb.url}${DISCOVERY}`, signal: AbortSignal.abort() }));
    expect(err.code).toBe('ABORTED');
  });

  it('turns a non-JSON 502 page into a one-line error without the HTML', async () => {
    const path = freshPath();
    fault(
      onPath(path),
      { kind: 'status', status: 502, rawBody: '<html>\n<body><h1>502 Bad Gateway</h1></body>\n</html>' },
      20,
    );
    const err = await caught(requestJson({ url: `${sb.url}${path}`, retry: { ...FAST, maxRetries: 1 } }));
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.status).toBe(502);
    expect(err.message).toContain('non-JSON answer (text/html)');
    expect(err.message).not.toContain('<html>');
    expect(err.message).toContain('after 1 retry');
    expect(await requestsTo(sb, path, 2)).toHaveLength(2);
  });

  it('reads at most 64 KiB of an oversized error body', async () => {
    const path = freshPath();
    fault(onPath(path), { kind: 'status', status: 500, rawBody: 'x'.repeat(4 * 1024 * 1024) }, 1);
    const err = await caught(requestJson({ url: `${sb.url}${path}`, retry: false }));
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).toContain('over 64 KiB');
    expect(err.message.length).toBeLessThan(700);
  });

  it('refuses plain http to a host that is not loopback, before sending anything', async () => {
    const before = sb.context.faults.log.length;
    const err = await caught(request({ url: 'http://example.org/v0.10/endpoint_search' }));
    expect(err.code).toBe('INSECURE_URL');
    expect(err.message).toContain('https://');
    expect(sb.context.faults.log.length).toBe(before);
  });

  it('maps Globus error codes to stable codes with advice', async () => {
    const cases: [FaultAction, string][] = [
      [{ kind: 'status', status: 401, code: 'AuthenticationFailed' }, 'AUTH_FAILED'],
      [{ kind: 'status', status: 403, code: 'PermissionDenied' }, 'PERMISSION_DENIED'],
      [{ kind: 'status', status: 409, code: 'Conflict' }, 'CONFLICT'],
      [{ kind: 'status', status: 502, code: 'ExternalError.MkdirFailed.Exists' }, 'CONFLICT'],
      [{ kind: 'status', status: 400, code: 'Duplicate' }, 'CONFLICT'],
      [{ kind: 'status', status: 502, code: 'EndpointError' }, 'EXTERNAL_ERROR'],
      [{ kind: 'status', status: 400, code: 'ClientError.BadRequest' }, 'GLOBUS_ERROR'],
    ];
    for (const [action, code] of cases) {
      const path = freshPath();
      fault(onPath(path), action, 1);
      const err = await caught(requestJson({ url: `${sb.url}${path}`, retry: false }));
      expect([action, err.code]).toEqual([action, code]);
    }
    const missing = await caught(requestJson({ url: `${sb.url}${freshPath()}` }));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.globusCode).toBe('ClientError.NotFound');
  });

  it('names the client identity to grant on EndpointPermissionDenied', async () => {
    const path = freshPath();
    fault(
      onPath(path),
      { kind: 'status', status: 403, code: 'EndpointPermissionDenied', message: 'Denied by endpoint' },
      1,
    );
    const err = await caught(
      requestJson({ url: `${sb.url}${path}`, errorContext: { clientId: sb.client.id, action: 'Listing /shub/' } }),
    );
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.message).toMatch(/^Listing \/shub\/ failed: Denied by endpoint/);
    expect(err.message).toContain(
      `grant the client ${sb.client.id}@clients.auth.globus.org a permission on the collection`,
    );
  });

  it('keeps required_scopes of a ConsentRequired answer', async () => {
    const path = freshPath();
    const scope = `urn:globus:auth:scope:transfer.api.globus.org:all[*https://auth.globus.org/scopes/${sb.collection.id}/data_access]`;
    fault(
      onPath(path),
      {
        kind: 'status',
        status: 403,
        code: 'ConsentRequired',
        message: 'Missing required data_access consent',
        extra: { required_scopes: [scope] },
      },
      1,
    );
    const err = await caught(requestJson({ url: `${sb.url}${path}` }));
    expect(err.code).toBe('CONSENT_REQUIRED');
    expect(err.requiredScopes).toEqual([scope]);
    expect(err.toJSON().required_scopes).toEqual([scope]);
  });

  it('reads Auth-shaped error bodies', async () => {
    const res = await request({
      method: 'POST',
      url: `${sb.url}/v2/oauth2/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(sb.client.id, 'wrong') },
      body: 'grant_type=client_credentials&scope=x',
      throwOnError: false,
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client');

    const err = await caught(
      requestJson({
        method: 'POST',
        url: `${sb.url}/v2/oauth2/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      }),
    );
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.globusCode).toBe('invalid_client');
    const log = await requestsTo(sb, '/v2/oauth2/token', 2);
    expect(err.requestId).toBe(log[1]!.requestId);
    expect(err.message).toContain('invalid_client');
  });

  it('never puts the bearer token into the error', async () => {
    const path = freshPath();
    const token = 'AgSecretTokenValue1234567890abcdef';
    fault(
      onPath(path),
      {
        kind: 'status',
        status: 401,
        code: 'AuthenticationFailed',
        message: `Token ${token} is not active (Authorization: Bearer ${token})`,
      },
      1,
    );
    const err = await caught(requestJson({ url: `${sb.url}${path}`, headers: { Authorization: `Bearer ${token}` } }));
    expect(err.code).toBe('AUTH_FAILED');
    const everything = `${err.message} ${JSON.stringify(err)} ${err.stack ?? ''}`;
    expect(everything).not.toContain(token);
    expect(err.message).toContain('[redacted]');
  });

  it('times out an attempt that gets no answer', async () => {
    const path = freshPath();
    fault(onPath(path), { kind: 'delay', ms: 20_000 }, 1);
    const err = await caught(requestJson({ url: `${sb.url}${path}`, timeoutMs: 100, retry: false }));
    expect(err.code).toBe('TIMEOUT');
  });

  it('retries a refused connection once (not five times), then reports NETWORK', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const seen: (string | undefined)[] = [];
    const err = await caught(
      requestJson({
        url: `http://127.0.0.1:${port}/x`,
        retry: { ...FAST, maxRetries: 2, onRetry: (i) => seen.push(i.errorCode) },
      }),
    );
    expect(err.code).toBe('NETWORK');
    expect(seen).toEqual(['ECONNREFUSED']);
    expect(err.message).toContain('after 1 retry');
    expect(err.message).toContain('ECONNREFUSED');
  });

  describe('streamed bodies', () => {
    const form = () =>
      `grant_type=client_credentials&scope=${encodeURIComponent('urn:globus:auth:scope:transfer.api.globus.org:all')}`;
    const headers = () => ({
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuth(sb.client.id, sb.client.secret),
    });

    it('does not resend a one-shot stream that started flowing', async () => {
      fault({ path: '^/v2/oauth2/token$' }, { kind: 'status', status: 503 }, 1);
      const err = await caught(
        requestJson({
          method: 'POST',
          url: `${sb.url}/v2/oauth2/token`,
          headers: headers(),
          body: Readable.from([form()]),
          retry: FAST,
        }),
      );
      expect(err.code).toBe('SERVICE_UNAVAILABLE');
      expect(await requestsTo(sb, '/v2/oauth2/token', 1)).toHaveLength(1);
    });

    it('retries with a fresh stream from a body factory', async () => {
      fault({ path: '^/v2/oauth2/token$' }, { kind: 'status', status: 503 }, 1);
      let made = 0;
      const answer = await requestJson<{ access_token: string }>({
        method: 'POST',
        url: `${sb.url}/v2/oauth2/token`,
        headers: headers(),
        body: () => {
          made++;
          return Readable.from([form()]);
        },
        retry: FAST,
      });
      expect(answer.access_token).toMatch(/^Ag/);
      expect(made).toBe(2);
      expect((await requestsTo(sb, '/v2/oauth2/token', 2)).map((e) => e.status)).toEqual([503, 200]);
    });
  });
});
