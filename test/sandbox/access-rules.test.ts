import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { httpsToken, transferToken } from '../support/tokens.js';
import { newClient } from '../support/worlds.js';
import { readSavedWorld } from '../../src/sandbox/config/world-file.js';

type Json = Record<string, unknown>;

describe('access rules of a guest collection (Transfer endpoint/<id>/access)', () => {
  let sb: TestSandbox;
  const reader = newClient('reader', 'reader-secret');
  const stranger = newClient('stranger', 'stranger-secret');

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    as = sb.client.id,
  ): Promise<{ status: number; json: Json }> => {
    const res = await fetch(`${sb.url}/v0.10/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${transferToken(sb, as)}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json()) as Json };
  };
  const rules = (as?: string) => call('GET', `endpoint/${sb.collection.id}/access_list`, undefined, as);
  const create = (rule: Json, as?: string) =>
    call('POST', `endpoint/${sb.collection.id}/access`, { DATA_TYPE: 'access', ...rule }, as);
  const readerGet = (path: string) =>
    fetch(`${sb.collection.httpsServer!}${path}`, {
      headers: { authorization: `Bearer ${httpsToken(sb, sb.collection.id, reader.id)}` },
    });
  const readerLs = (path: string) =>
    call('GET', `operation/endpoint/${sb.collection.id}/ls?path=${encodeURIComponent(path)}`, undefined, reader.id);

  beforeAll(async () => {
    sb = await startTestSandbox((world) => {
      world.clients.push(reader, stranger);
      world.endpoints[1]!.permissions.push({
        id: randomUUID(),
        principalType: 'identity',
        principal: stranger.id,
        path: '/public/',
        access: 'r',
      });
    });
    await mkdir(join(sb.collection.root!, 'shub', 'lab'), { recursive: true });
    await mkdir(join(sb.collection.root!, 'public'), { recursive: true });
    await writeFile(join(sb.collection.root!, 'shub', 'lab', 'a.txt'), 'alpha');
  });
  afterAll(() => sb.stop());

  it('lists the owner implicit rule and the initial rules', async () => {
    const { status, json } = await rules();
    expect(status).toBe(200);
    expect(json).toMatchObject({ DATA_TYPE: 'access_list', endpoint: sb.collection.id, length: 2 });
    const data = json.DATA as Json[];
    expect(data[0]).toMatchObject({
      DATA_TYPE: 'access',
      id: null,
      principal: sb.client.id,
      path: '/',
      permissions: 'rw',
      role_type: 'administrator',
    });
    expect(data[1]).toMatchObject({
      principal_type: 'identity',
      principal: stranger.id,
      path: '/public/',
      permissions: 'r',
    });
  });

  it('grants, changes and revokes at once, on Transfer and on the collection HTTPS', async () => {
    expect((await readerLs('/shub/')).status).toBe(404);
    expect((await readerGet('/shub/lab/a.txt')).status).toBe(403);

    const created = await create({
      principal_type: 'identity',
      principal: reader.id,
      path: '/shub/',
      permissions: 'r',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      DATA_TYPE: 'access_create_result',
      code: 'Created',
      resource: `/endpoint/${sb.collection.id}/access`,
    });
    const id = created.json.access_id as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    expect((await readerLs('/shub/')).status).toBe(200);
    expect(await (await readerGet('/shub/lab/a.txt')).text()).toBe('alpha');
    const put = await fetch(`${sb.collection.httpsServer!}/shub/lab/b.txt`, {
      method: 'PUT',
      body: 'x',
      headers: { authorization: `Bearer ${httpsToken(sb, sb.collection.id, reader.id)}` },
    });
    expect(put.status).toBe(403);

    const got = await call('GET', `endpoint/${sb.collection.id}/access/${id}`);
    expect(got.json).toMatchObject({
      DATA_TYPE: 'access',
      id,
      principal: reader.id,
      path: '/shub/',
      permissions: 'r',
      expiration_date: null,
    });
    expect(String(got.json.create_time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);

    const updated = await call('PUT', `endpoint/${sb.collection.id}/access/${id}`, {
      DATA_TYPE: 'access',
      permissions: 'rw',
    });
    expect(updated.json).toMatchObject({
      DATA_TYPE: 'result',
      code: 'Updated',
      resource: `/endpoint/${sb.collection.id}/access/${id}`,
    });
    const put2 = await fetch(`${sb.collection.httpsServer!}/shub/lab/b.txt`, {
      method: 'PUT',
      body: 'x',
      headers: { authorization: `Bearer ${httpsToken(sb, sb.collection.id, reader.id)}` },
    });
    expect(put2.status).toBe(200);

    const deleted = await call('DELETE', `endpoint/${sb.collection.id}/access/${id}`);
    expect(deleted.json).toMatchObject({ DATA_TYPE: 'result', code: 'Deleted' });
    expect((await readerLs('/shub/')).status).toBe(404);
    expect((await readerGet('/shub/lab/a.txt')).status).toBe(403);

    const again = await call('DELETE', `endpoint/${sb.collection.id}/access/${id}`);
    expect(again).toMatchObject({ status: 404, json: { code: 'AccessRuleNotFound' } });
  });

  it('refuses a duplicate rule with 409 Exists', async () => {
    const rule = { principal_type: 'identity', principal: reader.id, path: '/dup/', permissions: 'r' };
    expect((await create(rule)).status).toBe(201);
    const twin = await create({ ...rule, permissions: 'rw' });
    expect(twin).toMatchObject({ status: 409, json: { code: 'Exists' } });
  });

  it('gives all_authenticated_users to every client', async () => {
    const created = await create({
      principal_type: 'all_authenticated_users',
      principal: '',
      path: '/open/',
      permissions: 'r',
    });
    expect(created.status).toBe(201);
    await mkdir(join(sb.collection.root!, 'open'), { recursive: true });
    expect((await readerLs('/open/')).status).toBe(200);
    await call('DELETE', `endpoint/${sb.collection.id}/access/${String(created.json.access_id)}`);
    // The reader still sees the collection through its /dup/ rule, but not this folder.
    expect(await readerLs('/open/')).toMatchObject({ status: 403, json: { code: 'EndpointPermissionDenied' } });
  });

  it('refuses malformed rules with one line and a code', async () => {
    const cases: Array<[Json, string]> = [
      [{ principal_type: 'identity', principal: reader.id, path: '/no-slash', permissions: 'r' }, 'InvalidPath'],
      [{ principal_type: 'identity', principal: reader.id, path: '/a/../b/', permissions: 'r' }, 'InvalidPath'],
      [
        { principal_type: 'identity', principal: 'someone@example.org', path: '/a/', permissions: 'r' },
        'InvalidPrincipal',
      ],
      [{ principal_type: 'robots', principal: '', path: '/a/', permissions: 'r' }, 'InvalidPrincipal'],
      [{ principal_type: 'anonymous', principal: reader.id, path: '/a/', permissions: 'r' }, 'InvalidPrincipal'],
      [{ principal_type: 'identity', principal: reader.id, path: '/a/', permissions: 'w' }, 'ClientError.BadRequest'],
    ];
    for (const [rule, code] of cases) {
      const answer = await create(rule);
      expect([answer.status, answer.json.code]).toEqual([400, code]);
    }
    expect((await rules()).json.length).toBe(3);
  });

  it('lets only the owner manage rules', async () => {
    expect(await rules(stranger.id)).toMatchObject({ status: 403, json: { code: 'PermissionDenied' } });
    expect(
      (await create({ principal_type: 'identity', principal: stranger.id, path: '/', permissions: 'rw' }, stranger.id))
        .status,
    ).toBe(403);
    // A client the collection was never shared with learns nothing: 404 as for every route.
    const outsider = newClient('outsider');
    sb.world.clients.push(outsider);
    expect((await rules(outsider.id)).json.code).toBe('EndpointNotFound');
  });

  it("answers Auth's identity lookup for its clients, so a rule's principal can be shown", async () => {
    const auth = sb.context.tokens.issue(sb.client.id, 'auth.globus.org', ['openid'], 600).token;
    const get = (query: string, token = auth) =>
      fetch(`${sb.url}/v2/api/identities?${query}`, { headers: { authorization: `Bearer ${token}` } });
    const byId = (await (await get(`ids=${reader.id},${randomUUID()}`)).json()) as { identities: Json[] };
    expect(byId.identities).toEqual([
      {
        id: reader.id,
        username: `${reader.id}@clients.auth.globus.org`,
        name: 'reader',
        email: null,
        identity_provider: 'auth.globus.org',
        organization: null,
        status: 'used',
      },
    ]);
    const byName = (await (await get(`usernames=${stranger.id}@clients.auth.globus.org`)).json()) as {
      identities: Json[];
    };
    expect(byName.identities.map((i) => i.id)).toEqual([stranger.id]);
    expect((await get(`ids=${reader.id}`, transferToken(sb))).status).toBe(401);
  });

  it('keeps rules on guest collections only', async () => {
    const answer = await call('GET', `endpoint/${sb.personal.id}/access_list`);
    expect(answer.status).toBe(400);
    expect(String(answer.json.message)).toMatch(/guest collections/);
  });
});

describe('access rules made through the API are saved with the world', () => {
  it('writes sandbox.json after each change, so a restart keeps them', async () => {
    const sb = await startTestSandbox(undefined, { persist: true });
    try {
      const dataDir = join(sb.tmp, 'sandbox');
      const token = transferToken(sb);
      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${sb.url}/v0.10/${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        return (await res.json()) as Json;
      };
      const saved = async () =>
        (await readSavedWorld(dataDir))!.endpoints.find((e) => e.id === sb.collection.id)!.permissions;
      const created = await call('POST', `endpoint/${sb.collection.id}/access`, {
        DATA_TYPE: 'access',
        principal_type: 'all_authenticated_users',
        principal: '',
        path: '/open/',
        permissions: 'r',
      });
      expect((await saved()).map((p) => [p.id, p.access])).toEqual([[created.access_id, 'r']]);
      await call('PUT', `endpoint/${sb.collection.id}/access/${String(created.access_id)}`, {
        DATA_TYPE: 'access',
        permissions: 'rw',
      });
      expect((await saved()).map((p) => p.access)).toEqual(['rw']);
      await call('DELETE', `endpoint/${sb.collection.id}/access/${String(created.access_id)}`);
      expect(await saved()).toEqual([]);
      // The saved file never holds a served origin.
      expect(JSON.stringify(await readSavedWorld(dataDir))).not.toContain('httpsServer');
    } finally {
      await sb.stop();
    }
  });
});
