import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_BEHAVIOUR } from '../../src/sandbox/behaviour.js';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { basicAuth } from '../support/tokens.js';
import { TRANSFER_SCOPE, collectionScope } from '../../src/sandbox/model.js';

type Json = Record<string, unknown>;

describe('sandbox auth', () => {
  let sb: TestSandbox;
  const mappedId = randomUUID();
  const haMappedId = randomUUID();
  const odd = { id: randomUUID(), secret: 'p+s:w%rd é', name: 'odd' };

  // Tests that try a variant switch it on the shared sandbox; each starts from the strict defaults.
  afterEach(() => {
    Object.assign(sb.world.behaviour, DEFAULT_BEHAVIOUR);
  });

  beforeAll(async () => {
    sb = await startTestSandbox((world, tmp) => {
      const owner = world.clients[0]!.id;
      world.clients.push(odd);
      const base = { description: '', owner, https: true, public: false, permissions: [] };
      world.endpoints.push(
        {
          ...base,
          id: mappedId,
          displayName: 'mapped',
          entityType: 'GCSv5_mapped_collection',
          root: join(tmp, 'mapped'),
          highAssurance: false,
        },
        {
          ...base,
          id: haMappedId,
          displayName: 'ha-mapped',
          entityType: 'GCSv5_mapped_collection',
          root: join(tmp, 'ha'),
          highAssurance: true,
        },
      );
    });
  });
  afterAll(() => sb.stop());

  const tokenRequest = (
    form: Record<string, string>,
    auth: string | null = basicAuth(sb.client.id, sb.client.secret),
  ) =>
    fetch(`${sb.url}/v2/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
      body: new URLSearchParams(form).toString(),
    });

  it('works with openid-client discovery and clientCredentialsGrant', async () => {
    const config = await oidc.discovery(new URL(sb.url), sb.client.id, sb.client.secret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    expect(config.serverMetadata().token_endpoint).toBe(`${sb.url}/v2/oauth2/token`);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: TRANSFER_SCOPE });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(172800);
    expect(tokens.scope).toBe(TRANSFER_SCOPE);
    expect((tokens as unknown as Json).resource_server).toBe('transfer.api.globus.org');
    expect(sb.context.tokens.active(tokens.access_token)?.clientId).toBe(sb.client.id);
  });

  it('publishes discovery metadata and an empty JWKS', async () => {
    const doc = (await (await fetch(`${sb.url}/.well-known/openid-configuration`)).json()) as Json;
    expect(doc.issuer).toBe(sb.url);
    expect(doc.grant_types_supported).toContain('client_credentials');
    expect(doc.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post']);
    expect(doc.scopes_supported).toContain(TRANSFER_SCOPE);
    expect(doc.scopes_supported).toContain(collectionScope(sb.collection.id, 'https'));
    expect(doc.scopes_supported).toContain(collectionScope(mappedId, 'data_access'));
    expect(doc.scopes_supported).not.toContain(collectionScope(haMappedId, 'data_access'));
    const jwks = await fetch(doc.jwks_uri as string);
    expect(await jwks.json()).toEqual({ keys: [] });
  });

  it('accepts the client secret in the form body', async () => {
    const res = await tokenRequest(
      {
        grant_type: 'client_credentials',
        scope: TRANSFER_SCOPE,
        client_id: sb.client.id,
        client_secret: sb.client.secret,
      },
      null,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(Object.keys(body).sort()).toEqual([
      'access_token',
      'expires_in',
      'other_tokens',
      'resource_server',
      'scope',
      'token_type',
    ]);
    expect(body.token_type).toBe('Bearer');
    expect(body.other_tokens).toEqual([]);
  });

  it('reads Basic credentials raw only by default, as the SDKs send them', async () => {
    const raw = await tokenRequest(
      { grant_type: 'client_credentials', scope: TRANSFER_SCOPE },
      basicAuth(odd.id, odd.secret),
    );
    expect(raw.status).toBe(200);
    const encoded = await tokenRequest(
      { grant_type: 'client_credentials', scope: TRANSFER_SCOPE },
      basicAuth(odd.id, encodeURIComponent(odd.secret)),
    );
    expect(encoded.status).toBe(401);
  });

  it('reads Basic credentials both raw and form-encoded under basic_credentials raw-or-form', async () => {
    sb.world.behaviour.basic_credentials = 'raw-or-form';
    const raw = await tokenRequest(
      { grant_type: 'client_credentials', scope: TRANSFER_SCOPE },
      basicAuth(odd.id, odd.secret),
    );
    expect(raw.status).toBe(200);
    const encoded = await tokenRequest(
      { grant_type: 'client_credentials', scope: TRANSFER_SCOPE },
      basicAuth(odd.id, encodeURIComponent(odd.secret)),
    );
    expect(encoded.status).toBe(200);
    const token = ((await encoded.json()) as Json).access_token as string;
    expect(sb.context.tokens.active(token)?.clientId).toBe(odd.id);
  });

  it.each([
    ['a wrong secret', basicAuth('x', 'y')],
    ['no credentials', null],
    ['a malformed header', 'Basic !!!'],
  ])('answers 401 invalid_client for %s', async (_what, auth) => {
    const res = await tokenRequest({ grant_type: 'client_credentials', scope: TRANSFER_SCOPE }, auth);
    expect(res.status).toBe(401);
    const body = (await res.json()) as Json;
    expect(body.error).toBe('invalid_client');
    expect(typeof body.error_description).toBe('string');
    expect((body.errors as Json[])[0]).toMatchObject({ status: '401', code: 'invalid_client' });
  });

  it('refuses other grant types', async () => {
    const res = await tokenRequest({ grant_type: 'password', scope: TRANSFER_SCOPE });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toBe('unsupported_grant_type');
  });

  it('groups scopes by resource server, the first one on top', async () => {
    const https = collectionScope(sb.collection.id, 'https');
    const res = await tokenRequest({ grant_type: 'client_credentials', scope: `${https} ${TRANSFER_SCOPE}` });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.resource_server).toBe(sb.collection.id);
    expect(body.scope).toBe(https);
    const others = body.other_tokens as Json[];
    expect(others).toHaveLength(1);
    expect(others[0]).toMatchObject({
      resource_server: 'transfer.api.globus.org',
      scope: TRANSFER_SCOPE,
      token_type: 'Bearer',
      expires_in: 172800,
      other_tokens: [],
    });
    expect(others[0]!.access_token).not.toBe(body.access_token);
  });

  it('accepts an optional dependent data_access scope on a mapped collection and issues the token for the parent', async () => {
    const dataAccess = collectionScope(mappedId, 'data_access');
    const res = await tokenRequest({ grant_type: 'client_credentials', scope: `${TRANSFER_SCOPE}[*${dataAccess}]` });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.resource_server).toBe('transfer.api.globus.org');
    expect(body.other_tokens).toEqual([]);
    const issued = sb.context.tokens.active(body.access_token as string);
    expect(issued?.scopes).toEqual([TRANSFER_SCOPE, dataAccess]);
  });

  it.each([
    ['an unknown scope', 'urn:globus:auth:scope:nothing:all', 'urn:globus:auth:scope:nothing:all'],
    ['data_access on a guest collection', () => collectionScope(sb.collection.id, 'data_access'), 'data_access'],
    ['data_access on a high-assurance mapped collection', () => collectionScope(haMappedId, 'data_access'), haMappedId],
    ['https on a collection without HTTPS', () => collectionScope(sb.personal.id, 'https'), 'Unknown Scope'],
    [
      'an invalid dependent scope',
      () => `${TRANSFER_SCOPE}[*${collectionScope(sb.collection.id, 'data_access')}]`,
      'data_access',
    ],
    ['unbalanced brackets', `${TRANSFER_SCOPE}[x`, 'Unbalanced'],
    ['a missing scope', '', 'scope is required'],
  ])('answers 400 invalid_scope for %s', async (_what, scope, named) => {
    const value = typeof scope === 'function' ? scope() : scope;
    const res = await tokenRequest({ grant_type: 'client_credentials', scope: value });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Json;
    expect(body.error).toBe('invalid_scope');
    expect((body.errors as Json[])[0]!.detail).toContain(named);
  });

  it('introspects active and inactive tokens', async () => {
    const issued = (await (
      await tokenRequest({ grant_type: 'client_credentials', scope: TRANSFER_SCOPE })
    ).json()) as Json;
    const introspect = (token: string) =>
      fetch(`${sb.url}/v2/oauth2/token/introspect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuth(sb.client.id, sb.client.secret),
        },
        body: new URLSearchParams({ token }).toString(),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Json }));

    const active = await introspect(issued.access_token as string);
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({
      active: true,
      scope: TRANSFER_SCOPE,
      client_id: sb.client.id,
      sub: sb.client.id,
      username: `${sb.client.id}@clients.auth.globus.org`,
      aud: ['transfer.api.globus.org'],
      iss: sb.url,
    });
    expect((active.body.exp as number) - (active.body.iat as number)).toBe(172800);
    expect(active.body.nbf).toBe(active.body.iat);

    expect((await introspect('not-a-token')).body).toEqual({ active: false });
    sb.context.tokens.expire(sb.client.id);
    expect((await introspect(issued.access_token as string)).body).toEqual({ active: false });
  });

  it('requires client authentication to introspect', async () => {
    const res = await fetch(`${sb.url}/v2/oauth2/token/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=abc',
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as Json).error).toBe('invalid_client');
  });
});
