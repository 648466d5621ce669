/**
 * What every task the core submits says on the wire, read back from the sandbox's request
 * log: no e-mail (the notify flags false), and on each image item the SHA-256 the image
 * is named by, as `external_checksum` with `checksum_algorithm` SHA256, for push, pull
 * and replicate.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SandboxEndpoint } from '../../../src/sandbox/model.js';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { fileSha256 as sha } from '../../support/files.js';
import { closeCoreAndSandbox } from '../../support/lifecycle.js';
import { extraEndpoint } from '../../support/worlds.js';
import { filesBelow, logIndex, makeRegistry, randomFile } from './support.js';

type Json = Record<string, unknown>;

let sb: TestSandbox;
let site: SandboxEndpoint;
beforeAll(async () => {
  sb = await startTestSandbox((world, tmp) => {
    site = extraEndpoint({
      displayName: 'options-site-b',
      entityType: 'GCSv5_guest_collection',
      owner: world.clients[0]!.id,
      https: true,
      root: join(tmp, 'site-b'),
    });
    mkdirSync(site.root!, { recursive: true });
    world.endpoints.push(site);
  });
});
afterAll(() => closeCoreAndSandbox(sb));

const here = (rest: string): string => `globus://${sb.collection.id}/${rest}`;
/** The bodies of the task submissions logged since `since`, by kind. */
const submissions = (since: number, kind: 'transfer' | 'delete'): Json[] =>
  sb.context.faults
    .requestsSince(since)
    .filter((r) => r.method === 'POST' && r.path === `/v0.10/${kind}` && r.status === 202)
    .map((r) => r.body!);
const NO_MAIL = { notify_on_succeeded: false, notify_on_failed: false, notify_on_inactive: false };
/** The items of a transfer that carry a checksum, as [path ending, checksum, algorithm]. */
const checksummed = (body: Json): Array<[string, unknown, unknown]> =>
  (body.DATA as Json[])
    .filter((i) => i.external_checksum !== undefined)
    .map((i) => [String(i.destination_path).split('/').pop()!, i.external_checksum, i.checksum_algorithm]);

describe('task submissions on the wire', () => {
  it('push, pull, replicate and delete send no e-mail, and every image item carries its SHA-256', async () => {
    const h = makeRegistry(sb, 'transfer', {}, 'options');
    const file = await randomFile(sb, 'options.bin', 50_000);
    const version = await sha(file);

    let since = logIndex(sb);
    await h.registry.push(file, here('lab/opts:v1'), { tags: ['extra'] });
    const pushes = submissions(since, 'transfer');
    expect(pushes.length).toBeGreaterThanOrEqual(1);
    for (const body of pushes) expect(body).toMatchObject(NO_MAIL);
    // The image goes once, under a hidden upload name, checked against its version.
    expect(pushes.flatMap(checksummed)).toEqual([[expect.stringMatching(/^\./), version, 'SHA256']]);
    // Manifests and the marker carry none: the core knows no digest of theirs in advance.
    expect((pushes[0]!.DATA as Json[]).filter((i) => i.external_checksum === undefined).length).toBeGreaterThan(0);

    since = logIndex(sb);
    await h.registry.pull(here('lab/opts:extra'));
    const [pull] = submissions(since, 'transfer');
    expect(pull).toMatchObject(NO_MAIL);
    expect(checksummed(pull!)).toEqual([[expect.any(String), version, 'SHA256']]);

    since = logIndex(sb);
    await h.registry.replicate(here('lab/opts'), `globus://${site.id}`);
    const [replica] = submissions(since, 'transfer');
    expect(replica).toMatchObject(NO_MAIL);
    expect(checksummed(replica!).map(([, sum, algorithm]) => [sum, algorithm])).toEqual([[version, 'SHA256']]);

    since = logIndex(sb);
    await h.registry.delete(here('lab/opts:extra'));
    await h.registry.delete(here('lab/opts:v1'));
    const deletes = submissions(since, 'delete');
    expect(deletes.length).toBe(2);
    for (const body of deletes) expect(body).toMatchObject(NO_MAIL);
  });

  it('a source that no longer matches its version fails the pull instead of storing it', async () => {
    const h = makeRegistry(sb, 'transfer', {}, 'options-bad');
    const file = await randomFile(sb, 'options-bad.bin', 30_000);
    const version = await sha(file);
    await h.registry.push(file, here('lab/tampered:v1'));
    // Someone overwrites the version file on the collection with other bytes of the same size.
    await writeFile(join(sb.collection.root!, 'shub', 'lab', 'tampered', `sha256.${version}.sif`), randomBytes(30_000));
    await expect(h.registry.pull(here('lab/tampered:v1'))).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      globusCode: 'EXTERNAL_CHECKSUM_MISMATCH',
    });
    expect(await filesBelow(h.storage)).toEqual([]);
  });
});
