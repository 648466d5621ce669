import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { httpsToken, transferToken } from '../support/tokens.js';
import { addCollectionUser, newClient } from '../support/worlds.js';
import { collectionScope, type SandboxEndpoint } from '../../src/sandbox/model.js';

/** A request whose path goes on the wire exactly as written (fetch would normalise `..`). */
function rawRequest(
  origin: string,
  path: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(origin);
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('collection HTTPS access', () => {
  let sb: TestSandbox;
  let base: string;
  let root: string;
  let other: SandboxEndpoint;
  const reader = newClient('reader', 'reader-secret');
  const stranger = newClient('stranger', 'stranger-secret');
  const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    sb = await startTestSandbox((world, tmp) => {
      addCollectionUser(world, reader);
      world.clients.push(stranger);
      const collection = world.endpoints[1]!;
      const personal = world.endpoints[0]!;
      personal.https = true;
      personal.configPaths = [
        { path: tmp, shareable: false, writable: true },
        { path: join(tmp, 'ro'), shareable: false, writable: false },
      ];
      world.endpoints.push({
        ...collection,
        id: randomUUID(),
        displayName: 'other-collection',
        root: join(tmp, 'other-root'),
        permissions: [],
      });
    });
    base = sb.collection.httpsServer!;
    root = sb.collection.root!;
    other = sb.world.endpoints[2]!;
    await mkdir(other.root!, { recursive: true });
    await mkdir(join(root, 'data'), { recursive: true });
    await writeFile(join(root, 'data', 'file.txt'), 'inside');
    await mkdir(join(sb.tmp, 'secret'));
    await writeFile(join(sb.tmp, 'secret', 'key.txt'), 'TOP-SECRET-CONTENT');
    await symlink(join(sb.tmp, 'secret'), join(root, 'out'));
    await mkdir(join(sb.tmp, 'ro'));
  });
  afterAll(() => sb.stop());

  describe('tokens', () => {
    it('redirects a GET without a token to the sandbox Auth', async () => {
      const res = await fetch(`${base}/data/file.txt`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location')!);
      expect(location.origin).toBe(sb.url);
      expect(location.pathname).toBe('/v2/oauth2/authorize');
      expect(location.searchParams.get('client_id')).toBe(sb.collection.id);
      expect(location.searchParams.get('scope')).toBe(collectionScope(sb.collection.id, 'https'));
      expect(location.searchParams.get('response_type')).toBe('code');
      expect(location.searchParams.get('redirect_uri')).toBe(`${base}/data/file.txt`);
    });

    it('answers 401 for unknown and expired tokens', async () => {
      const unknown = await fetch(`${base}/data/file.txt`, { headers: bearer('Agnot-a-token') });
      expect(unknown.status).toBe(401);
      expect(unknown.headers.get('www-authenticate')).toBe('Bearer');
      expect(await unknown.json()).toMatchObject({ code: 'AuthenticationFailed', http_response_code: 401 });
      const issued = sb.context.tokens.issue(
        sb.client.id,
        sb.collection.id,
        [collectionScope(sb.collection.id, 'https')],
        3600,
      );
      issued.expiresAt = 0;
      const expired = await fetch(`${base}/data/file.txt`, { headers: bearer(issued.token) });
      expect(expired.status).toBe(401);
      await expired.arrayBuffer();
    });

    it('answers 401 to a DELETE without a token', async () => {
      const res = await fetch(`${base}/data/file.txt`, { method: 'DELETE' });
      expect(res.status).toBe(401);
      await res.arrayBuffer();
      expect(await readdir(join(root, 'data'))).toContain('file.txt');
    });

    it('refuses a Transfer token with 403', async () => {
      const transfer = transferToken(sb);
      const res = await fetch(`${base}/data/put.txt`, { method: 'PUT', headers: bearer(transfer), body: 'x' });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'PermissionDenied', http_response_code: 403 });
      expect(await readdir(join(root, 'data'))).not.toContain('put.txt');
    });

    it("refuses another collection's token with 403", async () => {
      const res = await fetch(`${base}/data/file.txt`, { headers: bearer(httpsToken(sb, other.id, sb.client.id)) });
      expect(res.status).toBe(403);
      await res.arrayBuffer();
      const own = await fetch(`${other.httpsServer}/`, {
        method: 'PUT',
        headers: bearer(httpsToken(sb, other.id, sb.client.id)),
        body: 'x',
      });
      expect(own.status).toBe(400);
      await own.arrayBuffer();
    });

    it('refuses a client with no permission on the collection', async () => {
      const res = await fetch(`${base}/data/file.txt`, {
        headers: bearer(httpsToken(sb, sb.collection.id, stranger.id)),
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as Record<string, unknown>).code).toBe('EndpointPermissionDenied');
    });
  });

  describe('write access', () => {
    it('lets a read-only client read but not PUT or DELETE', async () => {
      const token = httpsToken(sb, sb.collection.id, reader.id);
      const read = await fetch(`${base}/data/file.txt`, { headers: bearer(token) });
      expect(read.status).toBe(200);
      expect(await read.text()).toBe('inside');
      const write = await fetch(`${base}/data/reader.txt`, { method: 'PUT', headers: bearer(token), body: 'x' });
      expect(write.status).toBe(403);
      await write.arrayBuffer();
      const remove = await fetch(`${base}/data/file.txt`, { method: 'DELETE', headers: bearer(token) });
      expect(remove.status).toBe(403);
      await remove.arrayBuffer();
      expect((await readdir(join(root, 'data'))).sort()).toEqual(['file.txt']);
    });

    it('refuses a PUT into a read-only config path of a personal endpoint', async () => {
      const token = httpsToken(sb, sb.personal.id, sb.client.id);
      const refused = await fetch(`${sb.personal.httpsServer}${join(sb.tmp, 'ro', 'x.txt')}`, {
        method: 'PUT',
        headers: bearer(token),
        body: 'x',
      });
      expect(refused.status).toBe(403);
      await refused.arrayBuffer();
      expect(await readdir(join(sb.tmp, 'ro'))).toEqual([]);
      const allowed = await fetch(`${sb.personal.httpsServer}${join(sb.tmp, 'rw.txt')}`, {
        method: 'PUT',
        headers: bearer(token),
        body: 'x',
      });
      expect(allowed.status).toBe(200);
      await allowed.arrayBuffer();
    });
  });

  describe('paths that escape', () => {
    let token: string;
    beforeAll(() => {
      token = httpsToken(sb, sb.collection.id, sb.client.id);
    });

    it.each([
      ['dot-dot segments', '/../secret/key.txt', 403],
      ['dot-dot below a folder', '/data/../../secret/key.txt', 403],
      ['encoded dot-dot', '/data/%2e%2e/%2E%2E/secret/key.txt', 403],
      ['encoded slashes', '/data%2F..%2F..%2Fsecret%2Fkey.txt', 403],
      ['a NUL byte', '/data/file.txt%00.png', 400],
      ['a link out of the collection', '/out/key.txt', 403],
    ])('refuses %s', async (_what, path, status) => {
      const res = await rawRequest(base, path, 'GET', bearer(token));
      expect(res.status).toBe(status);
      expect(res.json.http_response_code).toBe(status);
      expect(JSON.stringify(res.json)).not.toContain('TOP-SECRET-CONTENT');
    });

    it('refuses to write or delete through a link out of the collection', async () => {
      const written = await rawRequest(base, '/out/new.txt', 'PUT', { ...bearer(token), 'content-length': '1' }, 'x');
      expect(written.status).toBe(403);
      const deleted = await rawRequest(base, '/out/key.txt', 'DELETE', bearer(token));
      expect(deleted.status).toBe(403);
      expect((await readdir(join(sb.tmp, 'secret'))).sort()).toEqual(['key.txt']);
    });

    it('refuses to write above the root with encoded dot-dot', async () => {
      const res = await rawRequest(
        base,
        '/%2e%2e/escaped.txt',
        'PUT',
        { ...bearer(token), 'content-length': '1' },
        'x',
      );
      expect(res.status).toBe(403);
      expect(await readdir(sb.collection.root!.replace(/\/[^/]+$/, ''))).not.toContain('escaped.txt');
    });
  });
});
