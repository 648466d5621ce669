/** A registry an older version wrote (layout 1) stays readable, and pushes into it keep its layout. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildManifest, manifestText } from '../../../src/core/manifest.js';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { fileSha256 as sha } from '../../support/files.js';
import { closeCoreAndSandbox } from '../../support/lifecycle.js';
import { callSummary, filesBelow, logIndex, makeRegistry, randomFile, requests } from './support.js';

let sb: TestSandbox;
let version: string;
const old = (): string => join(sb.collection.root!, 'old');
const uri = (rest: string): string => `globus://${sb.collection.id}/lab/${rest}`;

beforeAll(async () => {
  sb = await startTestSandbox();
  // As a layout-1 version of sregistry-globus left it: a marker saying so, a copy per tag.
  const file = await randomFile(sb, 'old-v1.bin', 30_000);
  version = await sha(file);
  await mkdir(join(old(), 'lab', 'app'), { recursive: true });
  await writeFile(join(old(), '.sregistry'), '{"layout":1,"created":"2023-05-01T00:00:00.000Z"}\n');
  for (const tag of ['v1', 'latest']) {
    await writeFile(join(old(), 'lab', 'app', `${tag}@${version}.sif`), await readFile(file));
    const manifest = buildManifest({
      endpoint: sb.collection.id,
      ref: { collection: 'lab', name: 'app', tag, version },
      size: 30_000,
      pushedBy: 'someone-else',
    });
    await writeFile(join(old(), 'lab', 'app', `${tag}@${version}.sif.json`), manifestText(manifest));
    // Written long ago: a push in the same second as this set-up would tie with it on
    // last_modified (one-second resolution) and the newer version could lose.
    const then = new Date('2023-05-01T00:00:00Z');
    for (const name of [`${tag}@${version}.sif`, `${tag}@${version}.sif.json`])
      await utimes(join(old(), 'lab', 'app', name), then, then);
  }
});
afterAll(() => closeCoreAndSandbox(sb));

describe('a layout-1 registry', () => {
  it('is pulled, recorded and searched as before, over both transports', async () => {
    for (const transport of ['https', 'transfer'] as const) {
      const h = makeRegistry(sb, transport, { root: '/old/' }, `old-read-${transport}`);
      const since = logIndex(sb);
      const pulled = await h.registry.pull(uri('app:v1'));
      expect(pulled).toMatchObject({ status: 'pulled', version, path: `/old/lab/app/v1@${version}.sif` });
      expect(await sha(pulled.image!)).toBe(version);
      // Reading never reads the marker: the file names say which layout they are.
      const calls = callSummary(requests(sb, since));
      if (transport === 'https')
        expect(calls).toEqual(['GET endpoint', 'GET stat', 'GET ls', 'GET https', 'GET https']);
      expect((await h.registry.record(uri('app:latest'))).version).toBe(version);
      const hits = await h.registry.search('lab/app', { endpoint: sb.collection.id });
      expect(hits.map((x) => x.image?.tag).sort()).toEqual(['latest', 'v1']);
      await h.registry.close();
    }
  });

  it('gets layout-1 files from a push (the marker says so) and loses a tag on delete', async () => {
    const h = makeRegistry(sb, 'https', { root: '/old/' }, 'old-push');
    const file = await randomFile(sb, 'old-v2.bin', 20_000);
    const v2 = await sha(file);
    const results = await h.registry.push(file, uri('app:v2'), { tags: ['latest'] });
    expect(results.map((r) => [r.tag, r.status, r.path])).toEqual([
      ['v2', 'pushed', `/old/lab/app/v2@${v2}.sif`],
      ['latest', 'pushed', `/old/lab/app/latest@${v2}.sif`],
    ]);
    expect(await filesBelow(join(old(), 'lab', 'app'))).toEqual(
      [
        `latest@${version}.sif`,
        `latest@${version}.sif.json`,
        `latest@${v2}.sif`,
        `latest@${v2}.sif.json`,
        `v1@${version}.sif`,
        `v1@${version}.sif.json`,
        `v2@${v2}.sif`,
        `v2@${v2}.sif.json`,
      ].sort(),
    );
    expect(JSON.parse(await readFile(join(old(), '.sregistry'), 'utf8'))).toMatchObject({ layout: 1 });
    expect((await h.registry.resolve(uri('app:latest'))).version).toBe(v2);
    await h.registry.delete(uri('app:v1'));
    expect(await filesBelow(join(old(), 'lab', 'app'))).not.toContain(`v1@${version}.sif`);
    expect(await filesBelow(join(old(), 'lab', 'app'))).toContain(`latest@${version}.sif`);
    await h.registry.close();
  });
});
