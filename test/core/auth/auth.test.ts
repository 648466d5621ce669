import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { sandboxTokens } from '../../support/clients.js';
import { caught } from '../../support/errors.js';
import { closeCoreAndSandbox, resetFaults } from '../../support/lifecycle.js';
import { mappedCollection } from '../../support/worlds.js';
import { requestJson, request } from '../../../src/core/http/index.js';
import {
  TokenSource,
  TRANSFER_SCOPE,
  collectionHttpsScope,
  transferScopeWithDataAccess,
  type TokenSourceOptions,
} from '../../../src/core/auth/index.js';
import { requestsTo } from '../http-support.js';

const TOKEN = '/v2/oauth2/token';
const DISCOVERY = '/.well-known/openid-configuration';
// rateLimitWindowMs: a 429 without Retry-After waits 20 ms here, not Globus's 10 s window.
const FAST = { baseDelayMs: 1, rateLimitWindowMs: 20 };

describe('core auth token source', () => {
  let sb: TestSandbox;
  const mappedId = randomUUID();
  const source = (extra: Partial<TokenSourceOptions> = {}) => sandboxTokens(sb, { retry: FAST, ...extra });
  const endpointDoc = (token: string, id = sb.personal.id) =>
    requestJson<{ id: string }>({
      url: `${sb.url}/v0.10/endpoint/${id}`,
      headers: { authorization: `Bearer ${token}` },
      retry: FAST,
    });
  /** The endpoint document fetched through `withToken`, noting each token it was given. */
  const endpointDocNoting = (tokens: TokenSource, used: string[]) =>
    tokens.withToken(TRANSFER_SCOPE, (token) => {
      used.push(token);
      return endpointDoc(token);
    });
  const tokenRequests = () => sb.context.faults.log.filter((e) => e.path === TOKEN).length;

  beforeAll(async () => {
    sb = await startTestSandbox((world, tmp) => {
      world.endpoints.push(
        mappedCollection(world, { id: mappedId, description: 'mapped collection for data_access scopes', root: tmp }),
      );
    });
  });
  beforeEach(() => resetFaults(sb));
  afterAll(() => closeCoreAndSandbox(sb));

  it('fetches one token for many concurrent callers and caches it', async () => {
    const tokens = source();
    const got = await Promise.all(Array.from({ length: 12 }, () => tokens.getToken(TRANSFER_SCOPE)));
    expect(new Set(got).size).toBe(1);
    expect(await tokens.getToken([TRANSFER_SCOPE, TRANSFER_SCOPE])).toBe(got[0]);
    expect((await requestsTo(sb, TOKEN, 1)).map((e) => [e.method, e.status, e.clientId])).toEqual([
      ['POST', 200, sb.client.id],
    ]);
    expect(await requestsTo(sb, DISCOVERY, 1)).toHaveLength(1);
    await expect(endpointDoc(got[0]!)).resolves.toHaveProperty('id', sb.personal.id);
  });

  it('treats scope sets in any order as one', async () => {
    const tokens = source();
    const https = collectionHttpsScope(sb.collection.id);
    const a = await tokens.getAccessToken(`${https} ${TRANSFER_SCOPE}`);
    const b = await tokens.getAccessToken([TRANSFER_SCOPE, https, https]);
    expect(b).toBe(a);
    expect(await requestsTo(sb, TOKEN, 1)).toHaveLength(1);
  });

  it('caches other_tokens under their own scopes', async () => {
    const tokens = source();
    const https = collectionHttpsScope(sb.collection.id);
    const both = await tokens.getAccessToken([TRANSFER_SCOPE, https]);
    const transfer = await tokens.getAccessToken(TRANSFER_SCOPE);
    const collection = await tokens.getAccessToken(https);
    expect(tokenRequests()).toBe(1);
    expect(transfer.resourceServer).toBe('transfer.api.globus.org');
    expect(collection.resourceServer).toBe(sb.collection.id);
    expect(collection.accessToken).not.toBe(transfer.accessToken);
    expect([transfer.accessToken, collection.accessToken]).toContain(both.accessToken);
    await expect(endpointDoc(transfer.accessToken)).resolves.toHaveProperty('id', sb.personal.id);
    // The collection token is the one its HTTPS server accepts: a missing file is 404, not 401/403.
    const res = await request({
      url: `${sb.collection.httpsServer}/no-such-file`,
      headers: { authorization: `Bearer ${collection.accessToken}` },
      throwOnError: false,
      retry: false,
    });
    expect(res.status).toBe(404);
    await res.dump();
  });

  it('announces every access token it receives, other_tokens included, before handing one out', async () => {
    const announced: string[] = [];
    const tokens = source({ onToken: (t) => announced.push(t) });
    const both = await tokens.getAccessToken([TRANSFER_SCOPE, collectionHttpsScope(sb.collection.id)]);
    expect(announced).toHaveLength(2);
    expect(announced).toContain(both.accessToken);
    expect(announced).toContain((await tokens.getAccessToken(collectionHttpsScope(sb.collection.id))).accessToken);
    await tokens.getAccessToken(TRANSFER_SCOPE);
    expect(announced).toHaveLength(2);
  });

  it('renews an expired token once when the service answers 401', async () => {
    const tokens = source();
    const first = await tokens.getToken(TRANSFER_SCOPE);
    expect(sb.context.tokens.expire(sb.client.id)).toBeGreaterThan(0);
    const used: string[] = [];
    const doc = await endpointDocNoting(tokens, used);
    expect(doc.id).toBe(sb.personal.id);
    expect(used).toHaveLength(2);
    expect(used[0]).toBe(first);
    expect(used[1]).not.toBe(first);
    expect(await requestsTo(sb, TOKEN, 2)).toHaveLength(2);
  });

  it('gives up with AUTH_FAILED when the renewed token is refused too', async () => {
    const tokens = source();
    let calls = 0;
    const err = await caught(
      tokens.withToken(TRANSFER_SCOPE, async (token) => {
        calls++;
        sb.context.tokens.expire(sb.client.id);
        return endpointDoc(token);
      }),
    );
    expect(err.code).toBe('AUTH_FAILED');
    expect(calls).toBe(2);
  });

  it('renews a token shortly before it expires', async () => {
    sb.world.tokenLifetime = 100;
    try {
      let clock = 1_000_000;
      const tokens = source({ now: () => clock });
      const a = await tokens.getAccessToken(TRANSFER_SCOPE);
      expect(a.expiresAt - a.renewAt).toBe(10_000);
      clock += 89_000;
      expect((await tokens.getAccessToken(TRANSFER_SCOPE)).accessToken).toBe(a.accessToken);
      clock += 2_000;
      expect((await tokens.getAccessToken(TRANSFER_SCOPE)).accessToken).not.toBe(a.accessToken);
      expect(await requestsTo(sb, TOKEN, 2)).toHaveLength(2);
    } finally {
      sb.world.tokenLifetime = 172800;
    }
  });

  it('refuses a wrong secret with AUTH_FAILED and never shows the secret', async () => {
    const secret = `wrong-${randomUUID()}`;
    const tokens = source({ clientSecret: secret });
    const err = await caught(tokens.getToken(TRANSFER_SCOPE));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.status).toBe(401);
    expect(err.globusCode).toBe('invalid_client');
    expect(err.message).toContain(sb.client.id);
    expect(err.message).toContain('GLOBUS_CLIENT_SECRET');
    expect(err.message).not.toMatch(/\n/);
    const everything = `${err.message} ${JSON.stringify(err)} ${err.stack ?? ''}`;
    expect(everything).not.toContain(secret);
    const log = await requestsTo(sb, TOKEN, 1);
    expect(err.requestId).toBe(log[0]!.requestId);
  });

  it('fetches a token for the required scopes of a ConsentRequired answer and retries once', async () => {
    const tokens = source();
    const required = transferScopeWithDataAccess([mappedId]);
    sb.context.faults.add({
      match: { path: `^/v0\\.10/endpoint/${sb.personal.id}$` },
      action: {
        kind: 'status',
        status: 403,
        code: 'ConsentRequired',
        message: 'Missing required data_access consent',
        extra: { required_scopes: [required] },
      },
      times: 1,
    });
    const used: string[] = [];
    const doc = await endpointDocNoting(tokens, used);
    expect(doc.id).toBe(sb.personal.id);
    expect(used).toHaveLength(2);
    expect(used[1]).toBe(await tokens.getToken(required));
    expect(used[1]).not.toBe(used[0]);
    expect(await requestsTo(sb, TOKEN, 2)).toHaveLength(2);
  });

  it('reaches Auth through the retrying transport', async () => {
    sb.context.faults.add({
      match: { path: `^${DISCOVERY.replace(/\./g, '\\.')}$` },
      action: { kind: 'status', status: 503, retryAfter: 0 },
      times: 1,
    });
    sb.context.faults.add({ match: { path: `^${TOKEN}$` }, action: { kind: 'reset' }, times: 1 });
    const token = await source().getToken(TRANSFER_SCOPE);
    await expect(endpointDoc(token)).resolves.toHaveProperty('id');
    expect((await requestsTo(sb, DISCOVERY, 2)).map((e) => e.status)).toEqual([503, 200]);
    expect(await requestsTo(sb, TOKEN, 2)).toHaveLength(2);
  });

  it('reports an unknown scope as a Globus error', async () => {
    const err = await caught(source().getToken(transferScopeWithDataAccess([sb.collection.id])));
    expect(err.code).toBe('GLOBUS_ERROR');
    expect(err.globusCode).toBe('invalid_scope');
    expect(err.message).toContain('data_access');
  });

  it('honours an aborted signal', async () => {
    const err = await caught(source().getToken(TRANSFER_SCOPE, { signal: AbortSignal.abort() }));
    expect(err.code).toBe('ABORTED');
  });

  it('refuses plain http Auth URLs off loopback', () => {
    expect(() => new TokenSource({ clientId: 'a', clientSecret: 'b', authUrl: 'http://auth.example.org/' })).toThrow(
      expect.objectContaining({ code: 'INSECURE_URL' }) as unknown as Error,
    );
  });
});
