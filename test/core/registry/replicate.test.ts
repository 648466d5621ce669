/** replicate between two GCSv5 collections of the sandbox: the replica's bytes and manifests on disk, one task. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SandboxEndpoint } from '../../../src/sandbox/model.js';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { failure } from '../../support/errors.js';
import { fileSha256 as sha } from '../../support/files.js';
import { closeCoreAndSandbox } from '../../support/lifecycle.js';
import { addCollectionUser, extraEndpoint, newClient } from '../../support/worlds.js';
import { callSummary, filesBelow, logIndex, makeRegistry, randomFile, requests } from './support.js';

let sb: TestSandbox;
let site: SandboxEndpoint;
// May read the source collection, and write only /shub/lab/ at the other site.
const writer = newClient('replica-writer');
beforeAll(async () => {
  sb = await startTestSandbox((world, tmp) => {
    addCollectionUser(world, writer, '/', 'r');
    // A second GCSv5 collection with its own HTTPS server: the other site.
    site = extraEndpoint({
      displayName: 'sandbox-site-b',
      entityType: 'GCSv5_guest_collection',
      owner: world.clients[0]!.id,
      https: true,
      root: join(tmp, 'site-b'),
    });
    site.permissions.push({ principal: writer.id, path: '/shub/lab/', access: 'rw' });
    mkdirSync(site.root!, { recursive: true });
    world.endpoints.push(site);
  });
});
afterAll(() => closeCoreAndSandbox(sb));

const here = (rest: string): string => `globus://${sb.collection.id}/${rest}`;
const at = (dir: string): string => join(site.root!, 'shub', dir);

describe('replicate', () => {
  it('copies versions and their manifests in one task between the collections, skipping what is there', async () => {
    const h = makeRegistry(sb, 'https', {}, 'replicate');
    const one = await randomFile(sb, 'rep-1.bin', 40_000);
    const two = await randomFile(sb, 'rep-2.bin', 30_000);
    const [v1, v2] = [await sha(one), await sha(two)];
    await h.registry.push(one, here('lab/app:v1'), { tags: ['stable'] });
    await h.registry.push(two, here('lab/app:v2'), { tags: ['latest'] });

    const since = logIndex(sb);
    const done = await h.registry.replicate(here('lab/app'), `globus://${site.id}`);
    const log = requests(sb, since);
    const calls = callSummary(log).filter((c) => c !== 'GET task');
    // Source folder listed, the new destination registry sniffed (4 roots), its folder listed, one task, then 2 + 4 reveals.
    expect(calls).toEqual([
      'GET ls',
      'GET endpoint',
      'GET stat',
      'GET stat',
      'GET stat',
      'GET stat',
      'GET ls',
      'GET submission_id',
      'POST transfer',
      ...Array(6).fill('POST rename'),
    ]);
    expect(log.filter((r) => r.origin === 'https' && (r.method === 'GET' || r.method === 'PUT'))).toEqual([]);
    const renames = log.filter((r) => r.method === 'POST' && r.path.endsWith('/rename'));
    expect(renames).toHaveLength(6);
    expect(done).toMatchObject({ versionsCopied: 2, manifestsCopied: 4, destination: `globus://${site.id}` });
    expect(done.images.map((i) => [i.tag, i.version, i.status]).sort()).toEqual(
      [
        ['latest', v2, 'copied'],
        ['stable', v1, 'copied'],
        ['v1', v1, 'copied'],
        ['v2', v2, 'copied'],
      ].sort(),
    );

    // The replica: the same bytes under the same names, the stamps kept, a layout-2 marker, no hidden leftovers.
    const source = await filesBelow(join(sb.collection.root!, 'shub', 'lab', 'app'));
    const replica = await filesBelow(at('lab/app'));
    expect(replica).toEqual(source);
    for (const v of [v1, v2]) expect(await sha(join(at('lab/app'), `sha256.${v}.sif`))).toBe(v);
    for (const m of replica.filter((f) => f.endsWith('.json'))) {
      expect(await readFile(join(at('lab/app'), m), 'utf8')).toBe(
        await readFile(join(sb.collection.root!, 'shub', 'lab', 'app', m), 'utf8'),
      );
    }
    expect(JSON.parse(await readFile(join(site.root!, 'shub', '.sregistry'), 'utf8'))).toMatchObject({ layout: 2 });
    expect((await filesBelow(at('lab'))).filter((f) => f.includes('.partial'))).toEqual([]);

    // A reader at the other site.
    const reader = makeRegistry(sb, 'https', {}, 'replica-reader');
    const pulled = await reader.registry.pull(`globus://${site.id}/lab/app:latest`);
    expect(pulled).toMatchObject({ version: v2, status: 'pulled' });
    await reader.registry.close();

    // Again after a new tag: only its manifest travels, the version is there already.
    await h.registry.push(one, here('lab/app:latest'));
    const again = await h.registry.replicate(here('lab/app:latest'), `globus://${site.id}`);
    expect(again).toMatchObject({ versionsCopied: 0, manifestsCopied: 1 });
    expect(again.images).toEqual([expect.objectContaining({ tag: 'latest', version: v1, status: 'copied' })]);
    const nothing = await h.registry.replicate(here('lab/app:latest'), `globus://${site.id}`);
    expect(nothing.taskId).toBeUndefined();
    expect(nothing.images[0]!.status).toBe('exists');
    expect(await filesBelow(at('lab/app'))).toEqual(await filesBelow(join(sb.collection.root!, 'shub', 'lab', 'app')));
    await h.registry.close();
  });

  it("reads the destination's marker by the call's transport, over the Registry's, and refuses one that cannot reach it", async () => {
    const h = makeRegistry(sb, 'https', {}, 'replicate-per-call');
    await h.registry.push(await randomFile(sb, 'rep-pc-1.bin', 20_000), here('lab/percall:v1'));
    // The destination is a registry now, whose marker a later replicate reads.
    await h.registry.replicate(here('lab/percall'), `globus://${site.id}`);
    const refused = await failure(
      h.registry.replicate(here('lab/percall'), `globus://${site.id}`, { transport: 'transfer' }),
    );
    expect(refused.code).toBe('INVALID_INPUT');
    expect(refused.message).toMatch(/SREGISTRY_GLOBUS_LOCAL_ENDPOINT/);
    await h.registry.close();

    const t = makeRegistry(sb, 'https', { localEndpoint: sb.personal.id }, 'replicate-per-call-transfer');
    await t.registry.push(await randomFile(sb, 'rep-pc-2.bin', 20_000), here('lab/percall:v2'));
    const since = logIndex(sb);
    const done = await t.registry.replicate(here('lab/percall:v2'), `globus://${site.id}`, { transport: 'transfer' });
    const log = requests(sb, since);
    expect(done).toMatchObject({ versionsCopied: 1, manifestsCopied: 1 });
    // Two tasks: the marker brought to the local endpoint, then the copy; no GET of the HTTPS server.
    expect(callSummary(log).filter((c) => c === 'POST transfer')).toHaveLength(2);
    expect(log.filter((r) => r.origin === 'https' && r.method === 'GET')).toEqual([]);
    await t.registry.close();
  });

  it('a client that may write only one collection folder of the destination replicates into it: the root is found through that folder', async () => {
    const owner = makeRegistry(sb, 'https', {}, 'replicate-owner');
    await owner.registry.push(await randomFile(sb, 'rep-w-1.bin', 20_000), here('lab/scoped:v1'));
    // The other site becomes a registry: the owner's marker at its root, which the writer may not read.
    await owner.registry.replicate(here('lab/scoped:v1'), `globus://${site.id}`);
    const v2File = await randomFile(sb, 'rep-w-2.bin', 20_000);
    await owner.registry.push(v2File, here('lab/scoped:v2'));
    await owner.registry.close();

    const w = makeRegistry(
      sb,
      'https',
      { globus: { clientId: writer.id, clientSecret: writer.secret, authUrl: sb.url, transferUrl: sb.url } },
      'replicate-writer',
    );
    const done = await w.registry.replicate(here('lab/scoped:v2'), `globus://${site.id}`);
    expect(done).toMatchObject({ versionsCopied: 1, manifestsCopied: 1 });
    expect(await filesBelow(at('lab/scoped'))).toContain(`sha256.${await sha(v2File)}.sif`);
    await w.registry.close();
  });

  it('refuses the same registry, an image as destination and a missing tag', async () => {
    const h = makeRegistry(sb, 'https', {}, 'replicate-bad');
    await h.registry.push(await randomFile(sb, 'rep-bad.bin', 1000), here('lab/bad'));
    expect((await failure(h.registry.replicate(here('lab/bad'), `globus://${sb.collection.id}`))).code).toBe(
      'INVALID_INPUT',
    );
    expect((await failure(h.registry.replicate(here('lab/bad'), `globus://${site.id}/lab/bad`))).code).toBe(
      'INVALID_REFERENCE',
    );
    expect((await failure(h.registry.replicate(here('lab/bad:nope'), `globus://${site.id}`))).code).toBe('NOT_FOUND');
    await h.registry.close();
  });

  it('keeps the order under the server-time rule: a tag moved back at the source names the same version at the replica', async () => {
    const h = makeRegistry(sb, 'https', {}, 'replicate-order');
    const one = await randomFile(sb, 'order-1.bin', 20_000);
    const two = await randomFile(sb, 'order-2.bin', 21_000);
    const [v1, v2] = [await sha(one), await sha(two)];
    const there = `globus://${site.id}/lab/order:latest`;
    await h.registry.push(one, here('lab/order:latest'));
    await h.registry.push(two, here('lab/order:latest'));
    await h.registry.replicate(here('lab/order'), `globus://${site.id}`);
    expect((await h.registry.resolve(there)).version).toBe(v2);
    // Moved back at the source (a new manifest naming v1): the replica follows, though v1's file and an older manifest are there already.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await h.registry.push(one, here('lab/order:latest'));
    expect((await h.registry.resolve(here('lab/order:latest'))).version).toBe(v1);
    await h.registry.replicate(here('lab/order'), `globus://${site.id}`);
    expect((await h.registry.resolve(there)).version).toBe(v1);
    // One current manifest per replicate; each copy is stamped before it arrived, so none is future-stamped.
    const names = (await filesBelow(at('lab/order'))).filter((f) => f.endsWith('.json'));
    expect(names).toHaveLength(2);
    await h.registry.close();
  });
});
