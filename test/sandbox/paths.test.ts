import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { httpsToken, transferToken } from '../support/tokens.js';
import { addCollectionUser, extraEndpoint, newClient } from '../support/worlds.js';
import type { SandboxEndpoint } from '../../src/sandbox/model.js';
import { countHostile } from '../reliability/ledger.js';

type Json = Record<string, unknown>;
type Answer = { status: number; code: unknown };

/** Every path a request names goes through the endpoint's bounds; these try to get out. */
describe('sandbox endpoint path bounds (over HTTP)', () => {
  let sb: TestSandbox;
  let root: string;
  /** A folder outside every endpoint: outside the collection root and the personal endpoint's config-paths. */
  let outside: string;
  const reader = newClient('reader', 's');
  const stranger = newClient('stranger', 's');
  let open: SandboxEndpoint;

  beforeAll(async () => {
    outside = await mkdtemp(join(tmpdir(), 'sregistry-outside-'));
    await writeFile(join(outside, 'secret'), 'secret');
    sb = await startTestSandbox((world, tmp) => {
      addCollectionUser(world, reader, '/shared/');
      world.clients.push(stranger);
      const personal = world.endpoints[0]!;
      personal.configPaths!.push({ path: join(outside, 'ro'), shareable: false, writable: false });
      open = extraEndpoint({
        displayName: 'open',
        entityType: 'GCSv5_guest_collection',
        description: 'public, no permissions',
        owner: world.clients[0]!.id,
        root: join(tmp, 'open'),
        public: true,
      });
      world.endpoints.push(open);
    });
    root = sb.collection.root!;
    await mkdir(join(root, 'shared'), { recursive: true });
    await mkdir(join(root, 'deep', 'x', 'y'), { recursive: true });
    await mkdir(join(outside, 'ro'), { recursive: true });
    await mkdir(open.root!, { recursive: true });
    await writeFile(join(root, 'shared', 'f.txt'), 'shared');
    await symlink(outside, join(root, 'dir-out'));
    await symlink(join(outside, 'secret'), join(root, 'file-out'));
    await symlink(join(outside, 'created-through-link'), join(root, 'dangling-out'));
    await symlink('../../sregistry-not-there', join(root, 'relative-out'));
    await symlink(root, join(root, 'deep', 'x', 'y', 'to-root'));
    await symlink('loop-b', join(root, 'loop-a'));
    await symlink('loop-a', join(root, 'loop-b'));
    await symlink(outside, join(sb.tmp, 'home', 'escape'));
    // Inside the collection, but towards a folder the reader has no permission for.
    await mkdir(join(root, 'private'), { recursive: true });
    await writeFile(join(root, 'private', 'key'), 'owner only');
    await symlink(join(root, 'private'), join(root, 'shared', 'to-private'));
    await symlink(join(root, 'private', 'key'), join(root, 'shared', 'key-link'));
    await symlink(join(root, 'private', 'made-through-link'), join(root, 'shared', 'dangling-private'));
  });
  afterAll(async () => {
    await sb.stop();
    await rm(outside, { recursive: true, force: true });
  });

  async function get(
    op: 'ls' | 'stat',
    path: string,
    opts: { client?: string; endpoint?: string; raw?: boolean } = {},
  ): Promise<Answer> {
    const query = opts.raw ? path : encodeURIComponent(path);
    const res = await fetch(
      `${sb.url}/v0.10/operation/endpoint/${opts.endpoint ?? sb.collection.id}/${op}?path=${query}`,
      {
        headers: { authorization: `Bearer ${transferToken(sb, opts.client ?? sb.client.id)}` },
      },
    );
    return { status: res.status, code: ((await res.json()) as Json).code };
  }
  async function post(
    op: 'mkdir' | 'rename',
    body: unknown,
    opts: { client?: string; endpoint?: string } = {},
  ): Promise<Answer> {
    const res = await fetch(`${sb.url}/v0.10/operation/endpoint/${opts.endpoint ?? sb.collection.id}/${op}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${transferToken(sb, opts.client ?? sb.client.id)}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, code: ((await res.json()) as Json).code };
  }

  const DENIED: Answer = { status: 403, code: 'EndpointPermissionDenied' };
  const BAD: Answer = { status: 400, code: 'ClientError.BadRequest' };

  it('refuses .. above the root of a collection, however it is spelled', async () => {
    for (const path of ['/..', '/../etc', '/shared/../../etc', '/~/../..', '~/../x', '../x', '/./../.']) {
      expect([path, await get('ls', path)]).toEqual([path, DENIED]);
      expect([path, await post('mkdir', { path: `${path}/made` })]).toEqual([path, DENIED]);
    }
    // `..` that stays inside is fine.
    expect((await get('ls', '/shared/../shared')).status).toBe(200);
  });

  it('maps absolute paths into a collection: /etc is the collection’s /etc, not the machine’s', async () => {
    expect(await get('ls', '/etc')).toEqual({ status: 404, code: 'ClientError.NotFound' });
    expect(await get('stat', '/etc/passwd')).toEqual({ status: 404, code: 'NotFound' });
  });

  it('refuses a personal endpoint’s paths outside its config-paths, /~/.. included', async () => {
    const personal = { endpoint: sb.personal.id };
    expect(await get('ls', '/etc', personal)).toEqual(DENIED);
    expect(await get('ls', '/~/../..', personal)).toEqual(DENIED);
    expect(await get('ls', outside, personal)).toEqual(DENIED);
    expect(await get('ls', '/~/..', personal)).toMatchObject({ status: 200 });
    expect(await post('mkdir', { path: '/~/../../made' }, personal)).toEqual(DENIED);
  });

  it('refuses writes in a read-only config-path even for the owner', async () => {
    expect((await get('ls', join(outside, 'ro'), { endpoint: sb.personal.id })).status).toBe(200);
    expect(await post('mkdir', { path: join(outside, 'ro', 'made') }, { endpoint: sb.personal.id })).toEqual(DENIED);
    expect(await readdir(join(outside, 'ro'))).toEqual([]);
  });

  it('refuses symlinks that lead outside: to a folder, to a file, and through a personal home', async () => {
    expect(await get('ls', '/dir-out')).toEqual(DENIED);
    expect(await get('stat', '/dir-out/secret')).toEqual(DENIED);
    expect(await get('stat', '/file-out')).toEqual(DENIED);
    expect(await post('mkdir', { path: '/dir-out/made' })).toEqual(DENIED);
    expect(await post('rename', { old_path: '/file-out', new_path: '/stolen' })).toEqual(DENIED);
    expect(await post('rename', { old_path: '/shared/f.txt', new_path: '/dir-out/f.txt' })).toEqual(DENIED);
    expect(await get('ls', '/~/escape', { endpoint: sb.personal.id })).toEqual(DENIED);
    expect(await readdir(outside)).toEqual(expect.not.arrayContaining(['made', 'f.txt']));
  });

  it('refuses dangling links whose target would be outside, relative ones included', async () => {
    expect(await get('stat', '/dangling-out')).toEqual(DENIED);
    expect(await get('stat', '/relative-out')).toEqual(DENIED);
    // Relative targets count from the link's real folder, not from the path it was reached by.
    expect(await get('stat', '/deep/x/y/to-root/relative-out')).toEqual(DENIED);
    expect(await post('rename', { old_path: '/shared/f.txt', new_path: '/dangling-out' })).toEqual(DENIED);
    expect(await post('mkdir', { path: '/dangling-out' })).toEqual(DENIED);
    await expect(stat(join(outside, 'created-through-link'))).rejects.toThrow();
    expect(await get('stat', '/loop-a')).toEqual(DENIED);
  });

  it('refuses NUL bytes, names over 255 bytes and paths over 4096 bytes', async () => {
    expect(await get('ls', '/shared%00/x', { raw: true })).toEqual(BAD);
    expect(await post('mkdir', { path: '/shared/a\u0000b' })).toEqual(BAD);
    expect(await get('ls', `/${'n'.repeat(256)}`)).toEqual(BAD);
    expect(await post('mkdir', { path: `/shared/${'é'.repeat(128)}` })).toEqual(BAD);
    expect((await post('mkdir', { path: `/shared/${'n'.repeat(255)}` })).status).toBe(202);
    expect(await get('ls', '/a'.repeat(2049))).toEqual(BAD);
    expect(await post('mkdir', { path: '/a'.repeat(2049) })).toEqual(BAD);
  });

  it('refuses paths in JSON bodies that are not non-empty strings', async () => {
    for (const path of [5, null, true, ['/x'], { p: '/x' }, '']) {
      expect([path, await post('mkdir', { DATA_TYPE: 'mkdir', path })]).toEqual([path, BAD]);
      expect([path, await post('rename', { old_path: path, new_path: '/x' })]).toEqual([path, BAD]);
      expect([path, await post('rename', { old_path: '/shared/f.txt', new_path: path })]).toEqual([path, BAD]);
    }
    expect(await post('mkdir', {})).toEqual(BAD);
    expect(await get('stat', '', { raw: true })).toEqual(BAD);
  });

  it('lets a read-only client list and stat but not mkdir or rename', async () => {
    const asReader = { client: reader.id };
    expect((await get('ls', '/shared', asReader)).status).toBe(200);
    expect((await get('stat', '/shared/f.txt', asReader)).status).toBe(200);
    expect(await post('mkdir', { path: '/shared/new' }, asReader)).toEqual(DENIED);
    expect(await post('rename', { old_path: '/shared/f.txt', new_path: '/shared/g.txt' }, asReader)).toEqual(DENIED);
    await expect(stat(join(root, 'shared', 'new'))).rejects.toThrow();
    expect((await stat(join(root, 'shared', 'f.txt'))).isFile()).toBe(true);
    // Outside its permission's folder it may not even list.
    expect(await get('ls', '/', asReader)).toEqual(DENIED);
    expect(await get('ls', '/shared/../deep', asReader)).toEqual(DENIED);
  });

  it('judges permissions where a link inside the endpoint really leads: the reader cannot reach /private through /shared', async () => {
    const asReader = { client: reader.id };
    expect(await get('ls', '/private', asReader)).toEqual(DENIED);
    expect(await get('ls', '/shared/to-private', asReader)).toEqual(DENIED);
    expect(await get('stat', '/shared/to-private/key', asReader)).toEqual(DENIED);
    expect(await get('stat', '/shared/key-link', asReader)).toEqual(DENIED);
    expect(await get('stat', '/shared/dangling-private', asReader)).toEqual(DENIED);
    // Over HTTPS too: the collection's GET judges the same path.
    const https = await fetch(`${sb.collection.httpsServer}/shared/key-link`, {
      headers: { authorization: `Bearer ${httpsToken(sb, sb.collection.id, reader.id)}` },
    });
    expect(https.status).toBe(403);
    expect(await https.text()).not.toContain('owner only');
    // The owner still follows its own links.
    expect((await get('stat', '/shared/key-link')).status).toBe(200);
    countHostile('a link inside a collection towards a folder the caller may not reach', 'sandbox');
  });

  it('keeps clients without a permission out: 404 where they cannot see, 403 on a public endpoint', async () => {
    expect(await get('ls', '/', { client: stranger.id })).toEqual({ status: 404, code: 'EndpointNotFound' });
    expect(await get('stat', '/shared/f.txt', { client: stranger.id })).toEqual({
      status: 404,
      code: 'EndpointNotFound',
    });
    expect(await post('mkdir', { path: '/x' }, { client: stranger.id })).toEqual({
      status: 404,
      code: 'EndpointNotFound',
    });
    expect(await get('ls', '/', { client: stranger.id, endpoint: open.id })).toEqual(DENIED);
    expect((await get('ls', '/', { endpoint: open.id })).status).toBe(200);
  });
});
