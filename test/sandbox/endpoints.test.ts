import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { transferToken } from '../support/tokens.js';
import { extraEndpoint, newClient } from '../support/worlds.js';
import { loadFixtures, shapeDifferences } from '../support/fixtures.js';
import type { SandboxEndpoint } from '../../src/sandbox/model.js';

type Json = Record<string, unknown>;

function fixtureDocs(file: string, path: RegExp): Json[] {
  return loadFixtures()
    .filter(
      (e) => e.file === `globus-cli/${file}` && e.service === 'transfer' && e.method === 'GET' && path.test(e.path),
    )
    .map((e) => e.json as Json);
}

describe('sandbox Transfer endpoints', () => {
  let sb: TestSandbox;
  const other = newClient('other', 's');
  const outsider = newClient('outsider', 's');
  let shared: SandboxEndpoint;
  let publicOne: SandboxEndpoint;

  beforeAll(async () => {
    sb = await startTestSandbox((world, tmp) => {
      world.clients.push(other, outsider);
      const owner = world.clients[0]!.id;
      // A collection of `other` shared read-only with the default client.
      shared = extraEndpoint({
        displayName: 'Other Lab Images',
        entityType: 'GCSv5_mapped_collection',
        description: 'Mapped storage of another lab',
        owner: other.id,
        root: join(tmp, 'other'),
        permissions: [{ principal: owner, path: '/', access: 'r' }],
      });
      publicOne = extraEndpoint({
        displayName: 'Public Tutorial Data',
        entityType: 'GCSv5_guest_collection',
        description: 'Anyone may find it',
        owner: other.id,
        root: join(tmp, 'public'),
        public: true,
      });
      world.endpoints.push(shared, publicOne);
      // Enough endpoints of `other` to page through.
      for (let i = 0; i < 30; i++) {
        world.endpoints.push(
          extraEndpoint({
            displayName: `bulk endpoint ${String(i).padStart(2, '0')}`,
            entityType: 'GCSv5_guest_collection',
            description: 'bulk',
            owner: other.id,
            root: join(tmp, `bulk${i}`),
          }),
        );
      }
    });
  });
  afterAll(() => sb.stop());

  async function get(path: string, clientId = sb.client.id): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${sb.url}/v0.10/${path}`, {
      headers: { authorization: `Bearer ${transferToken(sb, clientId)}` },
    });
    return { status: res.status, body: (await res.json()) as Json };
  }
  const ids = (body: Json) => (body.DATA as Json[]).map((e) => e.id);

  it('refuses callers without a transfer token', async () => {
    const res = await fetch(`${sb.url}/v0.10/endpoint_search?filter_scope=my-endpoints`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as Json).code).toBe('AuthenticationFailed');
    const wrong = sb.context.tokens.issue(sb.client.id, 'auth.globus.org', ['openid'], 60).token;
    const res2 = await fetch(`${sb.url}/v0.10/endpoint/${sb.collection.id}`, {
      headers: { authorization: `Bearer ${wrong}` },
    });
    expect(res2.status).toBe(401);
  });

  it('searches my-endpoints, administered-by-me and my-gcp-endpoints by owner', async () => {
    const mine = await get('endpoint_search?filter_scope=my-endpoints');
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ DATA_TYPE: 'endpoint_list', limit: 25, offset: 0, has_next_page: false });
    expect(new Set(ids(mine.body))).toEqual(new Set([sb.personal.id, sb.collection.id]));
    const admin = await get('endpoint_search?filter_scope=administered-by-me');
    expect(new Set(ids(admin.body))).toEqual(new Set([sb.personal.id, sb.collection.id]));
    const gcp = await get('endpoint_search?filter_scope=my-gcp-endpoints');
    expect(ids(gcp.body)).toEqual([sb.personal.id]);
  });

  it('searches shared-with-me and all by what the client can see', async () => {
    const sharedWithMe = await get('endpoint_search?filter_scope=shared-with-me');
    expect(ids(sharedWithMe.body)).toEqual([shared.id]);
    const all = await get('endpoint_search?filter_scope=all&limit=100');
    expect(new Set(ids(all.body))).toEqual(new Set([sb.personal.id, sb.collection.id, shared.id, publicOne.id]));
    const recent = await get('endpoint_search?filter_scope=recently-used&limit=100');
    expect(new Set(ids(recent.body))).toEqual(new Set(ids(all.body)));
    const outsiders = await get('endpoint_search?filter_scope=all', outsider.id);
    expect(ids(outsiders.body)).toEqual([publicOne.id]);
  });

  it('matches full-text words against names, descriptions and ids, case-insensitively', async () => {
    const byName = await get('endpoint_search?filter_fulltext=OTHER%20lab');
    expect(ids(byName.body)).toEqual([shared.id]);
    const byPrefix = await get('endpoint_search?filter_fulltext=tutor');
    expect(ids(byPrefix.body)).toEqual([publicOne.id]);
    const byDescription = await get('endpoint_search?filter_fulltext=mapped%20storage');
    expect(ids(byDescription.body)).toEqual([shared.id]);
    const byId = await get(`endpoint_search?filter_fulltext=${sb.collection.id.toUpperCase()}`);
    expect(ids(byId.body)).toEqual([sb.collection.id]);
    const none = await get('endpoint_search?filter_fulltext=nothing-like-this');
    expect(none.body.DATA).toEqual([]);
    // Words must start a word: "ther" is inside "other" but starts nothing (nor can it start a hex id part).
    const inside = await get('endpoint_search?filter_fulltext=ther');
    expect(inside.body.DATA).toEqual([]);
  });

  it('pages with limit and offset, and says when there is more', async () => {
    const first = await get('endpoint_search?filter_fulltext=bulk&limit=20', other.id);
    expect(first.body).toMatchObject({ limit: 20, offset: 0, has_next_page: true });
    expect(ids(first.body)).toHaveLength(20);
    const second = await get('endpoint_search?filter_fulltext=bulk&limit=20&offset=20', other.id);
    expect(second.body).toMatchObject({ limit: 20, offset: 20, has_next_page: false });
    expect(ids(second.body)).toHaveLength(10);
    expect(new Set([...ids(first.body), ...ids(second.body)]).size).toBe(30);
    const byDefault = await get('endpoint_search?filter_fulltext=bulk', other.id);
    expect(ids(byDefault.body)).toHaveLength(25);
  });

  it('refuses pages past 1000 results and bad parameters with 400', async () => {
    const far = await get('endpoint_search?limit=100&offset=901');
    expect(far.status).toBe(400);
    expect(far.body.code).toBe('ClientError.BadRequest');
    expect(String(far.body.message)).toMatch(/1000/);
    expect((await get('endpoint_search?limit=100&offset=900')).status).toBe(200);
    for (const q of ['limit=101', 'limit=0', 'limit=abc', 'offset=-1', 'filter_scope=everything']) {
      const res = await get(`endpoint_search?${q}`);
      expect([q, res.status, res.body.code]).toEqual([q, 400, 'ClientError.BadRequest']);
    }
  });

  it('answers endpoint/<id> with every key and type of the real GCSv5 collection documents', async () => {
    const fixtures = fixtureDocs('collection_operations.yaml', /^\/v0\.10\/endpoint\/[^/]+$/);
    const guestFixture = fixtures.find((f) => f.entity_type === 'GCSv5_guest_collection')!;
    const { status, body } = await get(`endpoint/${sb.collection.id}`);
    expect(status).toBe(200);
    // Every key, with the same type where both sides send a value (the sandbox sends null for the GCS manager and host).
    expect(shapeDifferences(guestFixture, body)).toEqual([]);
    for (const key of Object.keys(guestFixture)) expect(body).toHaveProperty(key);
    expect(body).toMatchObject({
      DATA_TYPE: 'endpoint',
      id: sb.collection.id,
      display_name: 'sandbox-collection',
      entity_type: 'GCSv5_guest_collection',
      owner_id: sb.client.id,
      owner_string: `${sb.client.id}@clients.auth.globus.org`,
      https_server: sb.collection.httpsServer,
      is_globus_connect: false,
      high_assurance: false,
    });
    expect(body.gcs_version).toMatch(/^5\./);
    expect((body.DATA as Json[])[0]).toMatchObject({ DATA_TYPE: 'server', hostname: '127.0.0.1' });
  });

  it('answers with every key of the full v0.10 endpoint document, and GCP specifics', async () => {
    const [full] = fixtureDocs('endpoint_operations.yaml', /^\/v0\.10\/endpoint\/313ce13e/) as [Json];
    const { body } = await get(`endpoint/${sb.personal.id}`);
    expect(shapeDifferences({ ...full, entity_type: 'GCP_mapped_collection' }, body)).toEqual([]);
    const serverKeys = Object.keys((full.DATA as Json[])[0]!).sort();
    expect(Object.keys((body.DATA as Json[])[0]!).sort()).toEqual(serverKeys);
    expect(body).toMatchObject({
      entity_type: 'GCP_mapped_collection',
      is_globus_connect: true,
      gcs_version: null,
      https_server: null,
      gcp_connected: true,
    });
    // Search results carry the same document.
    const search = await get('endpoint_search?filter_scope=my-gcp-endpoints');
    const hit = (search.body.DATA as Json[])[0]!;
    expect(
      Object.keys(hit)
        .filter((k) => k !== '_rank')
        .sort(),
    ).toEqual(Object.keys(body).sort());
  });

  it('answers 404 EndpointNotFound for unknown ids and for endpoints the client cannot see', async () => {
    const unknown = await get(`endpoint/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('EndpointNotFound');
    expect(unknown.body.resource).toMatch(/^\/endpoint\//);
    const hidden = await get(`endpoint/${sb.collection.id}`, outsider.id);
    expect([hidden.status, hidden.body.code]).toEqual([404, 'EndpointNotFound']);
    const visible = await get(`endpoint/${publicOne.id}`, outsider.id);
    expect(visible.status).toBe(200);
    expect(visible.body.my_effective_roles).toEqual([]);
  });
});
