import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, lstat, mkdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { transferToken } from '../support/tokens.js';
import { loadFixtures, shapeDifferences } from '../support/fixtures.js';

type Json = Record<string, unknown>;

const fixture = (file: string): { path: string; json: Json }[] =>
  loadFixtures()
    .filter((e) => e.file === `globus-cli/${file}` && e.service === 'transfer')
    .map((e) => ({ path: e.path, json: e.json as Json }));

const JAN_15 = new Date('2021-01-15T01:45:50Z');

describe('sandbox Transfer file operations', () => {
  let sb: TestSandbox;
  let root: string;
  let token: string;

  beforeAll(async () => {
    sb = await startTestSandbox();
    root = sb.collection.root!;
    token = transferToken(sb);
    const images = join(root, 'images');
    await mkdir(join(images, 'sub'), { recursive: true });
    await writeFile(join(images, 'a.sif'), '0123456789');
    await writeFile(join(images, 'b.sif'), 'x'.repeat(30));
    await writeFile(join(images, 'notes.txt'), 'hello');
    await writeFile(join(images, '.hidden'), '');
    await symlink('a.sif', join(images, 'link-file'));
    await symlink(join(images, 'sub'), join(images, 'link-dir'));
    await symlink('missing', join(images, 'dangling'));
    await symlink(sb.tmp, join(images, 'outside'));
    await chmod(join(images, 'a.sif'), 0o644);
    await chmod(join(images, 'notes.txt'), 0o600);
    await utimes(join(images, 'a.sif'), JAN_15, JAN_15);
    await utimes(join(images, 'b.sif'), new Date('2022-03-01T00:00:00Z'), new Date('2022-03-01T00:00:00Z'));
    await writeFile(join(sb.tmp, 'home', 'at-home.txt'), 'home');
  });
  afterAll(() => sb.stop());

  const op = (endpointId: string, name: string) => `${sb.url}/v0.10/operation/endpoint/${endpointId}/${name}`;

  async function ls(query: string, endpointId = sb.collection.id): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${op(endpointId, 'ls')}?${query}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Json };
  }
  async function post(
    name: string,
    body: unknown,
    endpointId = sb.collection.id,
  ): Promise<{ status: number; body: Json }> {
    const res = await fetch(op(endpointId, name), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  }
  const names = (body: Json) => (body.DATA as Json[]).map((e) => e.name);
  const entry = (body: Json, name: string) => (body.DATA as Json[]).find((e) => e.name === name)!;

  describe('ls', () => {
    it('answers a file_list with exactly the keys of the real one, entries included', async () => {
      const [real] = fixture('ls_results.yaml');
      const { status, body } = await ls('path=/images');
      expect(status).toBe(200);
      expect(Object.keys(body).sort()).toEqual(Object.keys(real!.json).sort());
      expect(shapeDifferences(real!.json, body)).toEqual([]);
      const realEntry = (real!.json.DATA as Json[])[0]!;
      for (const e of body.DATA as Json[]) expect(Object.keys(e).sort()).toEqual(Object.keys(realEntry).sort());
      expect(body).toMatchObject({
        DATA_TYPE: 'file_list',
        endpoint: sb.collection.id,
        path: '/images/',
        absolute_path: null,
        rename_supported: true,
        symlink_supported: true,
        length: 9,
        total: 9,
      });
    });

    it('describes files with Transfer times, octal permissions and owner names', async () => {
      const { body } = await ls('path=/images/');
      expect(entry(body, 'a.sif')).toMatchObject({
        DATA_TYPE: 'file',
        type: 'file',
        size: 10,
        last_modified: '2021-01-15 01:45:50+00:00',
        permissions: '0644',
        user: userInfo().username,
        link_target: null,
        link_size: null,
      });
      expect(typeof entry(body, 'a.sif').group).toBe('string');
      expect(entry(body, 'notes.txt').permissions).toBe('0600');
      expect(entry(body, 'sub')).toMatchObject({ type: 'dir' });
      expect(entry(body, 'sub').last_modified).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00$/);
    });

    it('shows links inside the endpoint as their targets and the rest as invalid_symlink', async () => {
      const { body } = await ls('path=/images');
      const linkFile = entry(body, 'link-file');
      expect(linkFile).toMatchObject({
        type: 'file',
        size: 10,
        last_modified: '2021-01-15 01:45:50+00:00',
        link_target: '/images/a.sif',
      });
      expect(typeof linkFile.link_size).toBe('number');
      expect(linkFile.link_last_modified).toMatch(/\+00:00$/);
      expect(entry(body, 'link-dir')).toMatchObject({ type: 'dir', link_target: '/images/sub' });
      expect(entry(body, 'dangling')).toMatchObject({ type: 'invalid_symlink', link_target: '/images/missing' });
      // Never reveals where on this machine an outside link points.
      expect(entry(body, 'outside')).toMatchObject({ type: 'invalid_symlink', link_target: null });
    });

    it('shows hidden files unless show_hidden=0', async () => {
      expect(names((await ls('path=/images')).body)).toContain('.hidden');
      expect(names((await ls('path=/images&show_hidden=1')).body)).toContain('.hidden');
      const hidden = await ls('path=/images&show_hidden=0');
      expect(names(hidden.body)).not.toContain('.hidden');
      expect(hidden.body.total).toBe(8);
      expect((await ls('path=/images&show_hidden=maybe')).status).toBe(400);
    });

    it('orders by name by default, and by the orderby fields given', async () => {
      const byName = names((await ls('path=/images&show_hidden=0')).body);
      expect(byName).toEqual([...byName].sort());
      const bySize = await ls(
        `path=/images&filter=${encodeURIComponent('name:~*.sif')}&orderby=${encodeURIComponent('size DESC')}`,
      );
      expect(names(bySize.body)).toEqual(['b.sif', 'a.sif']);
      const byTime = await ls(`path=/images&filter=${encodeURIComponent('name:~*.sif')}&orderby=last_modified`);
      expect(names(byTime.body)).toEqual(['a.sif', 'b.sif']);
      const typeThenName = await ls(`path=/images&show_hidden=0&orderby=${encodeURIComponent('type ASC, name DESC')}`);
      expect(names(typeThenName.body)).toEqual([
        'sub',
        'link-dir',
        'notes.txt',
        'link-file',
        'b.sif',
        'a.sif',
        'outside',
        'dangling',
      ]);
      for (const bad of ['colour', 'name SIDEWAYS', 'name ASC DESC']) {
        const res = await ls(`path=/images&orderby=${encodeURIComponent(bad)}`);
        expect([bad, res.status, res.body.code]).toEqual([bad, 400, 'ClientError.BadRequest']);
      }
    });

    it('filters by name glob, exact name, type, size and time, clauses joined by /', async () => {
      const q = async (filter: string) => names((await ls(`path=/images&filter=${encodeURIComponent(filter)}`)).body);
      expect(await q('name:~*.SIF')).toEqual(['a.sif', 'b.sif']);
      expect(await q('name:!~*.sif/type:file')).toEqual(['.hidden', 'link-file', 'notes.txt']);
      expect(await q('name:=notes.txt')).toEqual(['notes.txt']);
      expect(await q('name:~?.sif/size:>15')).toEqual(['b.sif']);
      expect(await q('type:dir')).toEqual(['link-dir', 'sub']);
      expect(await q('type:invalid_symlink,dir')).toEqual(['dangling', 'link-dir', 'outside', 'sub']);
      expect(await q('name:~*.sif/last_modified:<2021-06-01 00:00:00')).toEqual(['a.sif']);
      for (const bad of ['colour:red', 'name', 'size:big', 'type:socket', 'name:~']) {
        const res = await ls(`path=/images&filter=${encodeURIComponent(bad)}`);
        expect([bad, res.status, res.body.code]).toEqual([bad, 400, 'ClientError.BadRequest']);
      }
    });

    it('pages with limit and offset; total counts every match', async () => {
      const { body } = await ls('path=/images&show_hidden=0&limit=3&offset=2');
      expect(body).toMatchObject({ length: 3, total: 8 });
      expect(names(body)).toEqual(['dangling', 'link-dir', 'link-file']);
      expect((await ls('path=/images&limit=100001')).status).toBe(400);
      expect((await ls('path=/images&offset=-1')).status).toBe(400);
    });

    it('answers 404 ClientError.NotFound for a missing folder and 502 NotDirectory for a file', async () => {
      const missing = await ls('path=/no/such/folder');
      expect([missing.status, missing.body.code]).toEqual([404, 'ClientError.NotFound']);
      const file = await ls('path=/images/a.sif');
      expect([file.status, file.body.code]).toEqual([502, 'ExternalError.DirListingFailed.NotDirectory']);
    });

    it('lists /~/ by default: the root of a collection, the home folder of a personal endpoint', async () => {
      const collection = await ls('');
      expect(collection.body).toMatchObject({ path: '/~/', absolute_path: '/' });
      expect(names(collection.body)).toContain('images');
      const personal = await ls('', sb.personal.id);
      expect(personal.status).toBe(200);
      expect(personal.body).toMatchObject({ path: '/~/', absolute_path: `${join(sb.tmp, 'home')}/` });
      expect(names(personal.body)).toEqual(['at-home.txt']);
      const absolute = await ls(`path=${encodeURIComponent(join(sb.tmp, 'home'))}`, sb.personal.id);
      expect(absolute.body).toMatchObject({ path: `${join(sb.tmp, 'home')}/`, absolute_path: null });
      expect(names(absolute.body)).toEqual(['at-home.txt']);
    });
  });

  describe('stat', () => {
    const statOf = async (path: string) => {
      const res = await fetch(`${op(sb.collection.id, 'stat')}?path=${encodeURIComponent(path)}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: res.status, body: (await res.json()) as Json };
    };

    it('answers one file document named by the basename', async () => {
      const { status, body } = await statOf('/images/a.sif');
      expect(status).toBe(200);
      const listed = entry((await ls('path=/images')).body, 'a.sif');
      expect(body).toEqual(listed);
      expect((await statOf('/images/sub/')).body).toMatchObject({ name: 'sub', type: 'dir' });
      expect((await statOf('/')).body).toMatchObject({ name: '/', type: 'dir' });
      expect((await statOf('/images/link-dir')).body).toMatchObject({
        name: 'link-dir',
        type: 'dir',
        link_target: '/images/sub',
      });
    });

    it('answers 404 NotFound for a missing path', async () => {
      const { status, body } = await statOf('/images/none.sif');
      expect([status, body.code]).toEqual([404, 'NotFound']);
      expect(body.resource).toBe(`/operation/endpoint/${sb.collection.id}/stat`);
    });
  });

  describe('mkdir', () => {
    it('creates a folder and answers 202 mkdir_result DirectoryCreated', async () => {
      const { status, body } = await post('mkdir', { DATA_TYPE: 'mkdir', path: '/made' });
      expect(status).toBe(202);
      expect(body).toEqual({
        DATA_TYPE: 'mkdir_result',
        code: 'DirectoryCreated',
        message: 'The directory was created successfully',
        request_id: expect.any(String),
        resource: `/operation/endpoint/${sb.collection.id}/mkdir`,
      });
      expect((await stat(join(root, 'made'))).isDirectory()).toBe(true);
    });

    it('answers 502 ExternalError.MkdirFailed.Exists for an existing path', async () => {
      await post('mkdir', { DATA_TYPE: 'mkdir', path: '/twice' });
      const again = await post('mkdir', { DATA_TYPE: 'mkdir', path: '/twice/' });
      expect([again.status, again.body.code]).toEqual([502, 'ExternalError.MkdirFailed.Exists']);
      const onFile = await post('mkdir', { path: '/images/a.sif' });
      expect(onFile.body.code).toBe('ExternalError.MkdirFailed.Exists');
    });

    it('answers 502 ExternalError.MkdirFailed "No such file or directory" when the parent is missing, and creates nothing', async () => {
      const { status, body } = await post('mkdir', { DATA_TYPE: 'mkdir', path: '/not/there/yet' });
      expect([status, body.code]).toEqual([502, 'ExternalError.MkdirFailed']);
      expect(body.message).toMatch(/No such file or directory/);
      await expect(stat(join(root, 'not'))).rejects.toThrow();
    });

    it('answers 404 ClientError.NotFound for a missing parent under mkdir_missing_parent 404-not-found', async () => {
      sb.world.behaviour.mkdir_missing_parent = '404-not-found';
      try {
        const { status, body } = await post('mkdir', { DATA_TYPE: 'mkdir', path: '/not/there/yet' });
        expect([status, body.code]).toEqual([404, 'ClientError.NotFound']);
      } finally {
        sb.world.behaviour.mkdir_missing_parent = '502-mkdir-failed';
      }
    });

    it('creates in the home folder of a personal endpoint through /~/', async () => {
      const { status } = await post('mkdir', { DATA_TYPE: 'mkdir', path: '/~/made-at-home' }, sb.personal.id);
      expect(status).toBe(202);
      expect((await stat(join(sb.tmp, 'home', 'made-at-home'))).isDirectory()).toBe(true);
    });

    it('refuses another DATA_TYPE and bodies that are not JSON objects', async () => {
      expect((await post('mkdir', { DATA_TYPE: 'rename', path: '/x' })).body.code).toBe('ClientError.BadRequest');
      expect((await post('mkdir', ['/x'])).status).toBe(400);
    });
  });

  describe('rename', () => {
    it('renames and answers the real result document', async () => {
      const [real] = fixture('rename_result.yaml');
      await writeFile(join(root, 'old.txt'), 'old');
      const { status, body } = await post('rename', {
        DATA_TYPE: 'rename',
        old_path: '/old.txt',
        new_path: '/new.txt',
      });
      expect(status).toBe(200);
      expect(Object.keys(body).sort()).toEqual(Object.keys(real!.json).sort());
      expect(body).toMatchObject({
        DATA_TYPE: 'result',
        code: 'FileRenamed',
        message: 'File or directory renamed successfully',
        resource: `/operation/endpoint/${sb.collection.id}/rename`,
      });
      expect(await readFile(join(root, 'new.txt'), 'utf8')).toBe('old');
      await expect(stat(join(root, 'old.txt'))).rejects.toThrow();
    });

    it('refuses a rename onto an existing path (502 ExternalError.RenameFailed.Exists) and leaves both files', async () => {
      await writeFile(join(root, 'incoming2.partial'), 'complete image');
      await writeFile(join(root, 'image2.sif'), 'previous');
      const { status, body } = await post('rename', {
        DATA_TYPE: 'rename',
        old_path: '/incoming2.partial',
        new_path: '/image2.sif',
      });
      expect([status, body.code]).toEqual([502, 'ExternalError.RenameFailed.Exists']);
      expect(await readFile(join(root, 'image2.sif'), 'utf8')).toBe('previous');
      expect(await readFile(join(root, 'incoming2.partial'), 'utf8')).toBe('complete image');
      sb.world.behaviour.rename_collision = '409-conflict';
      try {
        const other = await post('rename', {
          DATA_TYPE: 'rename',
          old_path: '/incoming2.partial',
          new_path: '/image2.sif',
        });
        expect([other.status, other.body.code]).toEqual([409, 'Conflict']);
      } finally {
        sb.world.behaviour.rename_collision = '502-exists';
      }
    });

    it('replaces an existing destination file with the very same file under rename_collision replace, as rename(2) does', async () => {
      sb.world.behaviour.rename_collision = 'replace';
      try {
        await writeFile(join(root, 'incoming.partial'), 'complete image');
        await writeFile(join(root, 'image.sif'), 'previous');
        const inode = (await lstat(join(root, 'incoming.partial'))).ino;
        const { status } = await post('rename', {
          DATA_TYPE: 'rename',
          old_path: '/incoming.partial',
          new_path: '/image.sif',
        });
        expect(status).toBe(200);
        expect(await readFile(join(root, 'image.sif'), 'utf8')).toBe('complete image');
        // Same inode: moved in one step, never copied.
        expect((await lstat(join(root, 'image.sif'))).ino).toBe(inode);
      } finally {
        sb.world.behaviour.rename_collision = '502-exists';
      }
    });

    it('answers 404 ClientError.NotFound for a missing source or destination folder', async () => {
      const source = await post('rename', { DATA_TYPE: 'rename', old_path: '/ghost', new_path: '/ghost2' });
      expect([source.status, source.body.code]).toEqual([404, 'ClientError.NotFound']);
      await writeFile(join(root, 'stay.txt'), 'x');
      const dest = await post('rename', { DATA_TYPE: 'rename', old_path: '/stay.txt', new_path: '/nowhere/stay.txt' });
      expect([dest.status, dest.body.code]).toEqual([404, 'ClientError.NotFound']);
      expect(await readFile(join(root, 'stay.txt'), 'utf8')).toBe('x');
    });

    it('refuses replacing a non-empty folder, moving a folder into itself, and renaming the root', async () => {
      await mkdir(join(root, 'full', 'inner'), { recursive: true });
      await mkdir(join(root, 'mover'), { recursive: true });
      const full = await post('rename', { old_path: '/mover', new_path: '/full' });
      expect([full.status, full.body.code]).toEqual([502, 'ExternalError.RenameFailed.Exists']);
      sb.world.behaviour.rename_collision = 'replace';
      try {
        const replacing = await post('rename', { old_path: '/mover', new_path: '/full' });
        expect([replacing.status, replacing.body.code]).toEqual([409, 'Conflict']);
      } finally {
        sb.world.behaviour.rename_collision = '502-exists';
      }
      const into = await post('rename', { old_path: '/mover', new_path: '/mover/deeper' });
      expect([into.status, into.body.code]).toEqual([400, 'ClientError.BadRequest']);
      const rootMove = await post('rename', { old_path: '/', new_path: '/elsewhere' });
      expect([rootMove.status, rootMove.body.code]).toEqual([400, 'ClientError.BadRequest']);
      const configRoot = await post('rename', { old_path: sb.tmp, new_path: join(sb.tmp, 'x') }, sb.personal.id);
      expect(configRoot.status).toBe(400);
      expect((await stat(join(root, 'full', 'inner'))).isDirectory()).toBe(true);
    });
  });
});
