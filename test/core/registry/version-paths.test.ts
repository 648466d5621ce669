/** sregistry-cli habits: a registry path to a layout-2 version file pulls that version, under a tag that names it. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { failure } from '../../support/errors.js';
import { fileSha256 as sha } from '../../support/files.js';
import { closeCoreAndSandbox } from '../../support/lifecycle.js';
import { toImageUri } from '../../../src/core/uri.js';
import { makeRegistry, randomFile } from './support.js';

let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(() => closeCoreAndSandbox(sb));

describe('a version file path', () => {
  it('pulls the version under the newest tag naming it when latest does not', async () => {
    const h = makeRegistry(sb, 'https', {}, 'version-path');
    const one = await randomFile(sb, 'vp-1.bin', 20_000);
    const two = await randomFile(sb, 'vp-2.bin', 20_000);
    const [v1, v2] = [await sha(one), await sha(two)];
    await h.registry.push(one, `globus://${sb.collection.id}/lab/vp:stable`);
    await h.registry.push(two, `globus://${sb.collection.id}/lab/vp:latest`);

    const pulled = await h.registry.pull(toImageUri(`${sb.collection.id}:/shub/lab/vp/sha256.${v1}.sif`));
    expect(pulled).toMatchObject({ tag: 'stable', version: v1, status: 'pulled' });
    const latest = await h.registry.pull(toImageUri(`globus://${sb.collection.id}:/shub/lab/vp/sha256.${v2}.sif`));
    expect(latest).toMatchObject({ tag: 'latest', version: v2 });

    // An explicit other tag still has to name the version.
    const err = await failure(h.registry.pull(`globus://${sb.collection.id}/lab/vp:stable@${v2}`));
    expect(err.code).toBe('NOT_FOUND');
    await h.registry.close();
  });
});
