/**
 * The sandbox as strict as Globus where the core depends on it: data_access consent on
 * non-high-assurance mapped collections, Auth's default client scopes and userinfo, the
 * rate limit during a search, a disconnected personal endpoint; and the core coping.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { TRANSFER_RESOURCE_SERVER, TRANSFER_SCOPE, collectionScope } from '../../../src/sandbox/model.js';
import { caught } from '../../support/errors.js';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { basicAuth, transferToken } from '../../support/tokens.js';
import { extraEndpoint, mappedCollection } from '../../support/worlds.js';
import { logIndex, makeRegistry, randomFile, requests } from './support.js';

type Json = Record<string, unknown>;

describe('Globus behaviour the core relies on', () => {
  let sb: TestSandbox;
  const mappedId = randomUUID();
  const haId = randomUUID();
  const dataAccess = collectionScope(mappedId, 'data_access');

  beforeAll(async () => {
    sb = await startTestSandbox((world, tmp) => {
      world.endpoints.push(
        mappedCollection(world, { id: mappedId, description: 'non-HA mapped', root: join(tmp, 'mapped'), https: true }),
      );
      world.endpoints.push(
        extraEndpoint({
          id: haId,
          displayName: 'sandbox-ha',
          entityType: 'GCSv5_mapped_collection',
          owner: world.clients[0]!.id,
          highAssurance: true,
          root: join(tmp, 'ha'),
          https: true,
        }),
      );
    });
    await mkdir(join(sb.tmp, 'mapped'), { recursive: true });
    await mkdir(join(sb.tmp, 'ha'), { recursive: true });
    await writeFile(join(sb.tmp, 'mapped', 'hello.txt'), 'hello');
    await writeFile(join(sb.tmp, 'ha', 'hello.txt'), 'hello');
  });
  afterAll(() => sb.stop());
  beforeEach(() => {
    sb.context.faults.clear();
    sb.personal.connected = true;
    Object.assign(sb.context.world.behaviour, { rate_limit_requests: 200, rate_limit_window_ms: 10_000 });
  });

  const endpoint = (id: string) => sb.context.world.endpoints.find((e) => e.id === id)!;
  const ls = (id: string, token: string) =>
    fetch(`${sb.url}/v0.10/operation/endpoint/${id}/ls?path=/`, { headers: { authorization: `Bearer ${token}` } });
  const issue = (server: string, scopes: string[]) => sb.context.tokens.issue(sb.client.id, server, scopes, 3600).token;

  describe('data_access consent', () => {
    it('Transfer answers 403 ConsentRequired with required_scopes on a non-HA mapped collection without it', async () => {
      const res = await ls(mappedId, transferToken(sb));
      expect(res.status).toBe(403);
      const body = (await res.json()) as Json;
      expect(body.code).toBe('ConsentRequired');
      expect(body.required_scopes).toEqual([`${TRANSFER_SCOPE}[*${dataAccess}]`]);
    });

    it('lets the same request through with the dependent consent, and asks none of guest or high-assurance collections', async () => {
      expect((await ls(mappedId, issue(TRANSFER_RESOURCE_SERVER, [TRANSFER_SCOPE, dataAccess]))).status).toBe(200);
      expect((await ls(haId, transferToken(sb))).status).toBe(200);
      expect((await ls(sb.collection.id, transferToken(sb))).status).toBe(200);
    });

    it('refuses a transfer task touching the mapped collection without consent', async () => {
      const token = transferToken(sb);
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const { value } = (await (await fetch(`${sb.url}/v0.10/submission_id`, { headers })).json()) as { value: string };
      const res = await fetch(`${sb.url}/v0.10/delete`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          DATA_TYPE: 'delete',
          submission_id: value,
          endpoint: mappedId,
          DATA: [{ DATA_TYPE: 'delete_item', path: '/nothing' }],
        }),
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as Json).code).toBe('ConsentRequired');
    });

    it('wants https and data_access on the mapped collection HTTPS server, https alone elsewhere', async () => {
      const get = (id: string, token: string) =>
        fetch(`${endpoint(id).httpsServer}/hello.txt`, { headers: { authorization: `Bearer ${token}` } });
      expect((await get(mappedId, issue(mappedId, [collectionScope(mappedId, 'https')]))).status).toBe(403);
      expect((await get(mappedId, issue(mappedId, [collectionScope(mappedId, 'https'), dataAccess]))).status).toBe(200);
      expect((await get(haId, issue(haId, [collectionScope(haId, 'https')]))).status).toBe(200);
    });

    it.each(['https', 'transfer'] as const)(
      'the core asks for the consent up front: push and pull over %s meet no ConsentRequired',
      async (transport) => {
        const h = makeRegistry(sb, transport, {}, `consent-${transport}`);
        const since = logIndex(sb);
        const file = await randomFile(sb, `consent-${transport}.bin`, 4096);
        const [pushed] = await h.registry.push(file, `globus://${mappedId}/lab/consent-${transport}:v1`);
        expect(pushed!.status).toBe('pushed');
        const pulled = await h.registry.pull(`globus://${mappedId}/lab/consent-${transport}:v1`);
        expect(pulled.sha256).toBe(pushed!.sha256);
        const refused = requests(sb, since).filter((r) => r.status === 403);
        expect(refused).toEqual([]);
        await h.registry.close();
      },
    );

    it('still answers a ConsentRequired it did not expect (a consent the service asks for anyway)', async () => {
      const h = makeRegistry(sb, 'https', {}, 'consent-late');
      sb.context.faults.add({
        match: { method: 'GET', path: `^/v0\\.10/operation/endpoint/${mappedId}/ls$` },
        action: {
          kind: 'status',
          status: 403,
          code: 'ConsentRequired',
          message: 'Missing required data_access consent',
          extra: { required_scopes: [`${TRANSFER_SCOPE}[*${dataAccess}]`] },
        },
        times: 1,
      });
      const since = logIndex(sb);
      const hits = await h.registry.search('consent-https', { endpoint: mappedId });
      expect(hits.map((x) => x.uri)).toEqual([`globus://${mappedId}/lab/consent-https:v1`]);
      expect(
        requests(sb, since)
          .filter((r) => r.status === 403)
          .map((r) => r.fault),
      ).toEqual([expect.any(String)]);
      await h.registry.close();
    });
  });

  describe('Auth: the SDKs default client scopes and userinfo', () => {
    it('issues openid profile email view_identity_set to a confidential client and answers userinfo for it', async () => {
      const scope = `openid profile email urn:globus:auth:scope:auth.globus.org:view_identity_set ${TRANSFER_SCOPE}`;
      const res = await fetch(`${sb.url}/v2/oauth2/token`, {
        method: 'POST',
        headers: {
          authorization: basicAuth(sb.client.id, sb.client.secret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
      });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as {
        access_token: string;
        resource_server: string;
        other_tokens: Array<{ resource_server: string }>;
      };
      expect(answer.resource_server).toBe('auth.globus.org');
      expect(answer.other_tokens.map((t) => t.resource_server)).toEqual([TRANSFER_RESOURCE_SERVER]);

      const info = (await (
        await fetch(`${sb.url}/v2/oauth2/userinfo`, { headers: { authorization: `Bearer ${answer.access_token}` } })
      ).json()) as Json;
      expect(info.sub).toBe(sb.client.id);
      expect(info.preferred_username).toBe(`${sb.client.id}@clients.auth.globus.org`);
      expect(info.identity_set).toEqual([
        expect.objectContaining({ sub: sb.client.id, username: `${sb.client.id}@clients.auth.globus.org` }),
      ]);
    });

    it('refuses userinfo with a token of another resource server', async () => {
      const res = await fetch(`${sb.url}/v2/oauth2/userinfo`, {
        headers: { authorization: `Bearer ${transferToken(sb)}` },
      });
      expect(res.status).toBe(403);
    });
  });

  describe('rate limit without Retry-After during a search', () => {
    it('waits it out and lowers the listing concurrency, finding every image', async () => {
      const names = Array.from({ length: 20 }, (_, i) => `img${String(i).padStart(2, '0')}`);
      const seed = makeRegistry(sb, 'https', { concurrency: 4 }, 'rate-seed');
      const file = await randomFile(sb, 'rate.bin', 512);
      for (const n of names) await seed.registry.push(file, `globus://${sb.collection.id}/many/${n}:latest`);
      await seed.registry.close();
      const h = makeRegistry(
        sb,
        'https',
        { concurrency: 8, retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20, rateLimitWindowMs: 300 } },
        'rate',
      );
      Object.assign(sb.context.world.behaviour, {
        rate_limit_requests: 6,
        rate_limit_window_ms: 300,
        rate_limit_retry_after: 'none',
      });
      const since = logIndex(sb);
      const hits = await h.registry.search('many/', { endpoint: sb.collection.id });
      expect(hits.map((x) => x.image?.name).sort()).toEqual(names);
      expect(requests(sb, since).some((r) => r.status === 429)).toBe(true);
      expect(h.events.some((e) => e.type === 'notice' && /listing \d+ folders? at a time/.test(e.message))).toBe(true);
      await h.registry.close();
    });
  });

  describe('a disconnected Globus Connect Personal endpoint', () => {
    it('fails a pull over the transfer transport within seconds, saying what to do', async () => {
      const h = makeRegistry(sb, 'https', {}, 'gcp-seed');
      const file = await randomFile(sb, 'gcp.bin', 2048);
      await h.registry.push(file, `globus://${sb.collection.id}/lab/gcp:v1`);
      await h.registry.close();
      sb.personal.connected = false;
      const t = makeRegistry(sb, 'transfer', { taskErrorGraceMs: 600_000 }, 'gcp-pull');
      const started = Date.now();
      const err = await caught(t.registry.pull(`globus://${sb.collection.id}/lab/gcp:v1`));
      expect(Date.now() - started).toBeLessThan(5000);
      expect(err.code).toBe('EXTERNAL_ERROR');
      expect(err.message).toMatch(/start Globus Connect Personal/);
      await t.registry.close();
    });

    it('fails a push over the transfer transport within seconds, saying what to do', async () => {
      sb.personal.connected = false;
      const t = makeRegistry(sb, 'transfer', { taskErrorGraceMs: 600_000 }, 'gcp-push');
      const file = await randomFile(sb, 'gcp-push.bin', 2048);
      const started = Date.now();
      const err = await caught(t.registry.push(file, `globus://${sb.collection.id}/lab/gcp-push:v1`));
      expect(Date.now() - started).toBeLessThan(5000);
      expect(err.code).toBe('EXTERNAL_ERROR');
      expect(err.message).toMatch(/start Globus Connect Personal/);
      await t.registry.close();
    });

    it('fails a listing of it at once, saying what to do', async () => {
      sb.personal.connected = false;
      const t = makeRegistry(sb, 'https', {}, 'gcp-ls');
      const started = Date.now();
      const err = await caught(t.registry.search(undefined, { endpoint: sb.personal.id }));
      expect(Date.now() - started).toBeLessThan(5000);
      expect(err.code).toBe('EXTERNAL_ERROR');
      expect(err.message).toMatch(/GCDisconnected.*start Globus Connect Personal/);
      await t.registry.close();
    });
  });
});
