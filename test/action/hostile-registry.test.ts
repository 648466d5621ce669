/**
 * The bundled Action against a registry with hostile co-writers, run as the runner runs it:
 * a file that is not a SIF image, a manifest planted to pin a tag, and a collection whose
 * display name and image labels try to drive the log.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { copyFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildManifest, manifestText } from '../../src/core/manifest.js';
import { Registry } from '../../src/core/registry/registry.js';
import { writeSif } from '../../src/core/sif.js';
import { fileSha256 } from '../support/files.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { extraEndpoint } from '../support/worlds.js';
import { countHostile } from '../reliability/ledger.js';
import { newJob, runAction, sandboxInputs } from './runner.js';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const HOSTILE_NAME = 'site\u001b]0;pwned\u0007\u001b[2J\u202eevil';

let sb: TestSandbox;
let hostileId: string;
beforeAll(async () => {
  sb = await startTestSandbox((world, tmp) => {
    const e = extraEndpoint({
      displayName: HOSTILE_NAME,
      entityType: 'GCSv5_guest_collection',
      owner: world.clients[0]!.id,
      https: true,
      root: join(tmp, 'hostile-site'),
    });
    mkdirSync(e.root!, { recursive: true });
    hostileId = e.id;
    world.endpoints.push(e);
  });
});
afterAll(() => sb.stop());

const remoteFolder = (c: string, n: string): string => join(sb.collection.root!, 'shub', c, n);

describe('action against a hostile registry', () => {
  it('refuses a file that is not a SIF image in one ::error:: line, uploads nothing, and pushes it with any-file', async () => {
    const job = await newJob();
    await writeFile(join(job.workspace, 'notes.sif'), 'not an image at all\n');
    const run = await runAction({ job, inputs: sandboxInputs(sb, { images: 'notes.sif', name: 'ci/notes' }) });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/notes\.sif is a text file, not a SIF image: .*any-file.*\(code INVALID_INPUT\)/);
    await expect(readdir(remoteFolder('ci', 'notes'))).rejects.toMatchObject({ code: 'ENOENT' });

    const forced = await runAction({
      job,
      inputs: sandboxInputs(sb, { images: 'notes.sif', name: 'ci/notes', 'any-file': 'true' }),
    });
    expect(forced.errors).toEqual([]);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.outputs.versions!)).toEqual([await fileSha256(join(job.workspace, 'notes.sif'))]);
    countHostile('a file that is not a SIF image pushed as one', 'Action');
  });

  it('a manifest planted with a stamp in 2999 does not keep the tag from the version the Action pushed', async () => {
    const job = await newJob();
    const first = join(job.workspace, 'app.sif');
    await writeSif(first, { payloadBytes: Buffer.from('first '.repeat(300)) });
    expect((await runAction({ job, inputs: sandboxInputs(sb, { images: 'app.sif', name: 'ci/pinned' }) })).code).toBe(
      0,
    );
    const planted = join(sb.tmp, 'planted.sif');
    await writeSif(planted, { payloadBytes: Buffer.from('planted '.repeat(300)) });
    const version = await fileSha256(planted);
    const dir = remoteFolder('ci', 'pinned');
    await copyFile(planted, join(dir, `sha256.${version}.sif`));
    const ref = { collection: 'ci', name: 'pinned', tag: 'latest', version };
    await writeFile(
      join(dir, `latest@${version}.29991231T000000000Z.json`),
      manifestText(
        buildManifest({ endpoint: sb.collection.id, ref, size: (await stat(planted)).size, pushedBy: 'intruder' }),
      ),
    );

    await writeSif(first, { payloadBytes: Buffer.from('second '.repeat(300)) });
    const pushed = await fileSha256(first);
    const run = await runAction({ job, inputs: sandboxInputs(sb, { images: 'app.sif', name: 'ci/pinned' }) });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.outputs.versions!)).toEqual([pushed]);
    const registry = new Registry({
      globus: {
        clientId: sb.client.id,
        clientSecret: sb.client.secret,
        authUrl: `${sb.url}/`,
        transferUrl: `${sb.url}/`,
      },
      storage: join(sb.tmp, 'check-storage'),
      database: join(sb.tmp, 'check.db'),
    });
    try {
      expect((await registry.resolve(`globus://${sb.collection.id}/ci/pinned:latest`)).version).toBe(pushed);
    } finally {
      await registry.close();
    }
    countHostile('a manifest planted with a future stamp to pin a tag', 'Action');
  });

  it('refuses auth-url and transfer-url over plain http to a name under .localhost, in one ::error:: line', async () => {
    const job = await newJob();
    const run = await runAction({
      job,
      inputs: sandboxInputs(sb, {
        command: 'pull',
        name: 'ci/app',
        'auth-url': 'http://registry.localhost:9',
        'transfer-url': 'http://registry.localhost:9',
      }),
    });
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(
      /Refusing plain http to registry\.localhost:9 \(a name under \.localhost may be answered by DNS\).*INSECURE_URL/,
    );
    countHostile('plain http to a name under .localhost', 'Action');
  });

  it("a collection's display name and image labels with escapes never reach the log raw", async () => {
    const job = await newJob();
    await writeSif(join(job.workspace, 'app.sif'), {
      payloadBytes: Buffer.from('labels '.repeat(300)),
      labels: { title: '\u001b]0;owned\u0007', bidi: 'a\u202eb', csi: '\u009b2J' },
    });
    const pushed = await runAction({
      job,
      inputs: sandboxInputs(sb, { images: 'app.sif', name: 'ci/labels', endpoint: hostileId }),
      env: { RUNNER_DEBUG: '1' },
    });
    expect(pushed.code).toBe(0);
    const pulled = await runAction({
      job,
      inputs: sandboxInputs(sb, { command: 'pull', name: 'ci/labels', endpoint: hostileId }),
      env: { RUNNER_DEBUG: '1' },
    });
    expect(pulled.code).toBe(0);
    const missing = await runAction({
      job,
      inputs: sandboxInputs(sb, { command: 'pull', name: 'ci/none', endpoint: hostileId }),
    });
    expect(missing.code).toBe(1);
    expect(missing.errors).toHaveLength(1);
    expect(missing.errors[0]).toContain('site\\x1b]0;pwned\\x07\\x1b[2J\\u{202e}evil');
    for (const run of [pushed, pulled, missing]) {
      expect(RAW_CONTROL.test(run.stdout)).toBe(false);
      expect(RAW_CONTROL.test(run.stderr)).toBe(false);
      expect(RAW_CONTROL.test(run.summary ?? '')).toBe(false);
    }
    countHostile('an endpoint display name with terminal escapes', 'Action');
    countHostile('manifest labels with terminal escapes', 'Action');
  });
});
