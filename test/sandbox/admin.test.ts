import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { basicAuth } from '../support/tokens.js';
import { isLoopback } from '../../src/sandbox/admin.js';
import { FaultBook, parseFaultRule } from '../../src/sandbox/faults.js';
import { TRANSFER_SCOPE } from '../../src/sandbox/model.js';

type Json = Record<string, unknown>;

describe('sandbox admin API', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox();
  });
  afterAll(() => sb.stop());
  afterEach(() => sb.context.faults.clear());

  const admin = async (method: string, path: string, body?: unknown, token = sb.world.adminToken) => {
    const res = await fetch(`${sb.url}/_sandbox/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  const getToken = async (): Promise<Json> => {
    const res = await fetch(`${sb.url}/v2/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth(sb.client.id, sb.client.secret),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: TRANSFER_SCOPE }).toString(),
    });
    return (await res.json()) as Json;
  };

  it('answers 401 without the admin token or with a wrong one', async () => {
    const none = await fetch(`${sb.url}/_sandbox/faults`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as Json).code).toBe('AuthenticationFailed');
    expect((await admin('GET', 'faults', undefined, 'wrong')).status).toBe(401);
  });

  it('recognises loopback peers only', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('127.4.5.6')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
    expect(isLoopback('::ffff:192.168.1.1')).toBe(false);
    expect(isLoopback('fe80::1')).toBe(false);
    expect(isLoopback(undefined)).toBe(false);
  });

  it('adds a status fault that applies to the next matching request only', async () => {
    const added = await admin('POST', 'faults', {
      match: { method: 'GET', path: '^/v0\\.10/flaky$' },
      action: { kind: 'status', status: 503, code: 'ServiceUnavailable', retryAfter: 2 },
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ match: { method: 'GET' }, action: { kind: 'status', status: 503 }, times: 1 });
    expect(typeof added.body.id).toBe('string');

    const first = await fetch(`${sb.url}/v0.10/flaky`);
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('2');
    expect(((await first.json()) as Json).code).toBe('ServiceUnavailable');
    const second = await fetch(`${sb.url}/v0.10/flaky`);
    expect(second.status).toBe(404);
    await second.body?.cancel();
  });

  it('lists and clears rules', async () => {
    await admin('POST', 'faults', { action: { kind: 'delay', ms: 1 }, match: { path: '^/nowhere$' }, times: 3 });
    const listed = await admin('GET', 'faults');
    expect(listed.body.rules).toEqual([expect.objectContaining({ action: { kind: 'delay', ms: 1 }, times: 3 })]);
    const cleared = await admin('DELETE', 'faults');
    expect(cleared.body).toEqual({ removed: 1 });
    expect((await admin('GET', 'faults')).body.rules).toEqual([]);
  });

  it('removes one rule by id', async () => {
    const added = await admin('POST', 'faults', { action: { kind: 'reset' }, match: { path: '^/nowhere$' } });
    expect((await admin('DELETE', `faults/${added.body.id as string}`)).status).toBe(200);
    expect((await admin('DELETE', `faults/${added.body.id as string}`)).status).toBe(404);
    expect(sb.context.faults.rules).toEqual([]);
  });

  it.each([
    [{ action: { kind: 'explode' } }, 'action.kind'],
    [{ action: { kind: 'status', status: 99 } }, 'action.status'],
    [{ action: { kind: 'reset' }, times: 0 }, 'times'],
    [{ action: { kind: 'reset' }, match: { path: '(' } }, 'match.path'],
    [{ action: { kind: 'delay', ms: 5, extra: 1 } }, 'unknown key'],
    [{ match: {} }, 'action'],
  ])('refuses the malformed rule %j', async (rule, named) => {
    const res = await admin('POST', 'faults', rule);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(named);
    expect(sb.context.faults.rules).toEqual([]);
  });

  it('never applies faults to the admin API itself', async () => {
    await admin('POST', 'faults', { action: { kind: 'reset' }, times: 5 });
    const listed = await admin('GET', 'faults');
    expect(listed.status).toBe(200);
    expect((listed.body.rules as Json[])[0]!.times).toBe(5);
  });

  it('serves the request log from an index and clears it, indices still counting', async () => {
    const start = (await admin('GET', 'requests')).body.next as number;
    await (await fetch(`${sb.url}/v0.10/logged-one`)).text();
    await (await fetch(`${sb.url}/v0.10/logged-two?x=1`)).text();
    const log = await admin('GET', `requests?since=${start}`);
    const requests = log.body.requests as Json[];
    expect(requests.map((r) => r.path)).toEqual(['/v0.10/logged-one', '/v0.10/logged-two']);
    expect(requests[1]).toMatchObject({ method: 'GET', status: 404, query: '?x=1', origin: 'main' });
    expect(requests[0]!.index as number).toBeGreaterThanOrEqual(start);
    expect(requests[1]!.index as number).toBeGreaterThan(requests[0]!.index as number);

    const next = log.body.next as number;
    expect(next).toBeGreaterThan(start + 1);
    expect((await admin('GET', `requests?since=${next}`)).body.requests).toEqual([]);

    await admin('DELETE', 'requests');
    await (await fetch(`${sb.url}/v0.10/logged-three`)).text();
    const after = await admin('GET', `requests?since=${next}`);
    const rest = after.body.requests as Json[];
    expect(rest.map((r) => r.path)).toEqual(['/v0.10/logged-three']);
    expect(rest[0]!.index as number).toBeGreaterThanOrEqual(next);
    expect((await admin('GET', 'requests?since=-1')).status).toBe(400);
  });

  it('expires tokens of one client or of all', async () => {
    const token = (await getToken()).access_token as string;
    expect(sb.context.tokens.active(token)).toBeDefined();
    expect((await admin('POST', 'tokens/expire', { client_id: 'someone-else' })).body).toEqual({ expired: 0 });
    expect(sb.context.tokens.active(token)).toBeDefined();
    const expired = await admin('POST', 'tokens/expire', { client_id: sb.client.id });
    expect(expired.body.expired).toBeGreaterThanOrEqual(1);
    expect(sb.context.tokens.active(token)).toBeUndefined();

    const another = (await getToken()).access_token as string;
    const all = await admin('POST', 'tokens/expire');
    expect(all.status).toBe(200);
    expect(all.body.expired).toBe(1);
    expect(sb.context.tokens.active(another)).toBeUndefined();
  });

  it('changes the token lifetime', async () => {
    const before = sb.world.tokenLifetime;
    try {
      const put = await admin('PUT', 'settings', { token_lifetime: 60 });
      expect(put.body).toEqual({ token_lifetime: 60 });
      expect((await getToken()).expires_in).toBe(60);
      expect((await admin('PUT', 'settings', { token_lifetime: 0 })).status).toBe(400);
      expect((await admin('PUT', 'settings', { colour: 'red' })).status).toBe(400);
      expect((await admin('GET', 'settings')).body).toEqual({ token_lifetime: 60 });
    } finally {
      sb.world.tokenLifetime = before;
    }
  });

  it('releases a held task once', async () => {
    let released = 0;
    sb.context.faults.onRelease('task-1', () => released++);
    const res = await admin('POST', 'tasks/task-1/release');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ task_id: 'task-1', released: true });
    expect(released).toBe(1);
    expect((await admin('POST', 'tasks/task-1/release')).status).toBe(404);
    expect(released).toBe(1);
  });
});

describe('FaultBook', () => {
  it('hands task faults to the task runner, not to requests', () => {
    const book = new FaultBook();
    book.add(
      parseFaultRule({ match: { taskType: 'DELETE' }, action: { kind: 'task-fail', code: 'PERMISSION_DENIED' } }),
    );
    book.add({ action: { kind: 'task-inactive', niceStatus: 'PAUSED_BY_ADMIN' }, times: 2 });
    expect(book.take('main', 'POST', '/v0.10/delete')).toBeUndefined();
    expect(book.takeTask('TRANSFER')).toEqual({ kind: 'task-inactive', niceStatus: 'PAUSED_BY_ADMIN' });
    expect(book.takeTask('DELETE')).toEqual({ kind: 'task-fail', code: 'PERMISSION_DENIED' });
    expect(book.takeTask('DELETE')).toEqual({ kind: 'task-inactive', niceStatus: 'PAUSED_BY_ADMIN' });
    expect(book.takeTask('DELETE')).toBeUndefined();
  });

  it('matches request faults by origin, method and path', () => {
    const book = new FaultBook();
    book.add({ match: { origin: 'c1', method: 'PUT', path: '^/up/' }, action: { kind: 'reset', afterBytes: 10 } });
    expect(book.take('main', 'PUT', '/up/a')).toBeUndefined();
    expect(book.take('c1', 'GET', '/up/a')).toBeUndefined();
    expect(book.take('c1', 'PUT', '/down/a')).toBeUndefined();
    expect(book.take('c1', 'PUT', '/up/a')).toEqual({ kind: 'reset', afterBytes: 10 });
    expect(book.take('c1', 'PUT', '/up/a')).toBeUndefined();
  });

  it('lets a task runner unregister its release callback', () => {
    const book = new FaultBook();
    let called = false;
    const off = book.onRelease('t', () => (called = true));
    off();
    expect(book.release('t')).toBe(false);
    expect(called).toBe(false);
  });
});
