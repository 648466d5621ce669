/**
 * A registry with co-writers, through the real CLI: manifests planted to pin a tag,
 * runners whose clocks are wrong (faketime), concurrent pushers, equal stamps, files that
 * are not images, and labels and display names that try to drive the terminal.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { buildManifest, manifestText } from '../../src/core/manifest.js';
import { writeSif } from '../../src/core/sif.js';
import { fileSha256 } from '../support/files.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { extraEndpoint } from '../support/worlds.js';
import { countHostile } from '../reliability/ledger.js';
import { TaskClient } from '../sandbox/tasks-client.js';
import { assertBuilt, Cli, json, sandboxEnv, type CliRun } from './support.js';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Labels a hostile co-writer puts in a SIF: window title, colour, clipboard write (OSC 52), a bidi override, a C1 CSI. */
const HOSTILE_LABELS = {
  title: '\u001b]0;owned\u0007',
  colour: '\u001b[31mred\u001b[0m',
  clipboard: '\u001b]52;c;ZWNobyBvd25lZA==\u0007',
  bidi: 'txt.\u202eexe',
  csi: '\u009b2J',
};

type Pushed = { images: { status: string; version: string }[] };

describe('sregistry-globus against a registry with hostile co-writers', () => {
  let sb: TestSandbox;
  let cli: Cli;
  let env: NodeJS.ProcessEnv;
  let hostileEndpoint: string;
  let n = 0;

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox((world, tmp) => {
      const e = extraEndpoint({
        displayName: 'lab\u001b]0;pwned\u0007\u001b[2J\u202eevil',
        entityType: 'GCSv5_guest_collection',
        description: 'a collection whose display name drives terminals',
        owner: world.clients[0]!.id,
        root: join(tmp, 'hostile-name'),
      });
      hostileEndpoint = e.id;
      world.endpoints.push(e);
    });
    await mkdir(join(sb.tmp, 'hostile-name'), { recursive: true });
    env = await sandboxEnv(sb);
    cli = new Cli(env);
  });
  afterAll(() => sb.stop());

  const remote = (rest: string): string => `globus://${sb.collection.id}/${rest}`;
  const folder = (root: string, c: string, name: string): string => join(sb.collection.root!, root, c, name);

  /** A small SIF of its own bytes. */
  async function image(labels?: Record<string, string>): Promise<{ file: string; version: string }> {
    const file = join(sb.tmp, `img-${++n}.sif`);
    await writeSif(file, {
      payloadBytes: Buffer.from(`image ${n} ${Math.random()}`.repeat(50)),
      ...(labels ? { labels } : {}),
    });
    return { file, version: await fileSha256(file) };
  }

  /** Runs the CLI under faketime (a clock `offset` away, e.g. '+3h'), like a runner whose clock is wrong. */
  const skewed = (offset: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
    cli.runWith('faketime', ['-f', offset, process.execPath], args, { ...env, ...extra });

  const pulled = async (uri: string, extra: NodeJS.ProcessEnv = {}): Promise<string> => {
    const run = await cli.run(['pull', uri, '--json'], { ...env, ...extra });
    expect(run.code).toBe(0);
    return json<{ version: string }>(run).version;
  };

  /** Waits until the server's clock (to the second, as Globus lists times) has moved on. */
  const nextSecond = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1100));

  /** A layout-1 registry at `/<name>/` (sregistry-cli's layout: a copy per tag). */
  async function layout1Root(name: string): Promise<NodeJS.ProcessEnv> {
    await mkdir(join(sb.collection.root!, name), { recursive: true });
    await writeFile(join(sb.collection.root!, name, '.sregistry'), '{"layout":1}\n');
    return { SREGISTRY_GLOBUS_ROOT: `/${name}/` };
  }

  it('a manifest planted with a stamp in 2999 pins nothing: a later push wins, doctor lists it, prune removes it', async () => {
    const first = await image();
    expect((await cli.run(['push', first.file, remote('lab/pinned:latest')])).code).toBe(0);
    // The co-writer plants its version and a manifest stamped far in the future.
    const planted = await image();
    const dir = folder('shub', 'lab', 'pinned');
    await copyFile(planted.file, join(dir, `sha256.${planted.version}.sif`));
    const plantedName = `latest@${planted.version}.29991231T000000000Z.json`;
    const ref = { collection: 'lab', name: 'pinned', tag: 'latest', version: planted.version };
    const size = (await stat(planted.file)).size;
    await writeFile(
      join(dir, plantedName),
      manifestText(buildManifest({ endpoint: sb.collection.id, ref, size, pushedBy: 'someone-else' })),
    );

    const later = await image();
    const push = await cli.run(['push', later.file, remote('lab/pinned:latest'), '--json']);
    expect(push.code).toBe(0);
    expect(json<Pushed>(push).images[0]).toMatchObject({ status: 'pushed', version: later.version });
    const record = await cli.run(['record', remote('lab/pinned:latest'), '--json']);
    expect(json<{ version: string }>(record).version).toBe(later.version);
    expect(await pulled(remote('lab/pinned:latest'))).toBe(later.version);

    const doctor = await cli.run(['doctor', `globus://${sb.collection.id}`]);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(
      /FAIL\s+future-stamps\s+1 manifest is stamped or dated more than 5 minutes ahead of the server's clock/,
    );
    expect(doctor.stdout).toContain(`/shub/lab/pinned/${plantedName}`);
    const doctorJson = json<{ futureManifests: string[] }>(
      await cli.run(['doctor', `globus://${sb.collection.id}`, '--json']),
    );
    expect(doctorJson.futureManifests).toEqual([`/shub/lab/pinned/${plantedName}`]);

    const prune = await cli.run(['prune', remote('lab/pinned'), '--keep', '5', '--json']);
    expect(prune.code).toBe(0);
    expect(await readdir(dir)).not.toContain(plantedName);
    expect(await pulled(remote('lab/pinned:latest'))).toBe(later.version);
    expect((await cli.run(['doctor', `globus://${sb.collection.id}`])).stdout).toMatch(/ok\s+future-stamps/);
    countHostile('a manifest planted with a future stamp to pin a tag', 'CLI');
  });

  /**
   * A co-writer's files copied into `folder` (collection path) by a real Transfer with
   * `preserve_timestamp`, from sources dated `date` (touch -d): the server lists the
   * source's date, not the time they arrived. (2400, not 2999: ext4 dates end in 2446.)
   */
  async function plantByTransfer(
    folderPath: string,
    files: { name: string; from: string }[],
    date: string,
  ): Promise<void> {
    const staging = join(sb.tmp, `plant-${++n}`);
    await mkdir(staging);
    for (const f of files) {
      await copyFile(f.from, join(staging, f.name));
      await promisify(execFile)('touch', ['-d', date, join(staging, f.name)]);
    }
    const api = new TaskClient(sb);
    const task = await api.run(
      api.transfer(
        sb.personal.id,
        sb.collection.id,
        files.map((f) => [join(staging, f.name), `${folderPath}${f.name}`] as [string, string]),
        { preserve_timestamp: true },
      ),
    );
    expect(task.status).toBe('SUCCEEDED');
  }

  /** A manifest file of `version` for `tag`, as a co-writer would write it. */
  async function manifestFile(name: string, tag: string, planted: { file: string; version: string }): Promise<string> {
    const path = join(sb.tmp, `manifest-${++n}.json`);
    const ref = { collection: 'lab', name, tag, version: planted.version };
    await writeFile(
      path,
      manifestText(
        buildManifest({
          endpoint: sb.collection.id,
          ref,
          size: (await stat(planted.file)).size,
          pushedBy: 'someone-else',
        }),
      ),
    );
    return path;
  }

  it.each([
    ['layout 2', 2],
    ['layout 1', 1],
  ])(
    '%s: a manifest copied with preserve_timestamp from a source dated 2400 pins nothing; doctor lists it, prune removes it',
    async (_what, layout) => {
      const rootName = layout === 1 ? 'dated-l1' : 'shub';
      const extra = layout === 1 ? await layout1Root(rootName) : {};
      const name = `dated${layout}`;
      const first = await image();
      expect((await cli.run(['push', first.file, remote(`lab/${name}:latest`)], { ...env, ...extra })).code).toBe(0);
      const planted = await image();
      const manifest = await manifestFile(name, 'latest', planted);
      const plantedName =
        layout === 1 ? `latest@${planted.version}.sif.json` : `latest@${planted.version}.24001231T000000000Z.json`;
      const files =
        layout === 1
          ? [
              { name: `latest@${planted.version}.sif`, from: planted.file },
              { name: plantedName, from: manifest },
            ]
          : [
              { name: `sha256.${planted.version}.sif`, from: planted.file },
              { name: plantedName, from: manifest },
            ];
      await plantByTransfer(`/${rootName}/lab/${name}/`, files, '2400-12-31 00:00:00Z');
      const dir = folder(rootName, 'lab', name);
      expect((await stat(join(dir, plantedName))).mtime.getUTCFullYear()).toBe(2400);

      // Layout 1 orders a tag's copies by their date, to the second: the next push comes a second later.
      await nextSecond();
      const later = await image();
      const push = await cli.run(['push', later.file, remote(`lab/${name}:latest`), '--json'], { ...env, ...extra });
      expect([push.code, push.stderr]).toEqual([0, '']);
      expect(json<Pushed>(push).images[0]).toMatchObject({ status: 'pushed', version: later.version });
      expect(await pulled(remote(`lab/${name}:latest`), extra)).toBe(later.version);

      const doctor = await cli.run(['doctor', `globus://${sb.collection.id}`, '--json'], { ...env, ...extra });
      expect(json<{ futureManifests: string[] }>(doctor).futureManifests).toEqual([
        `/${rootName}/lab/${name}/${plantedName}`,
      ]);
      const prune = await cli.run(['prune', remote(`lab/${name}`), '--keep', '5', '--json'], { ...env, ...extra });
      expect(prune.code).toBe(0);
      expect(await readdir(dir)).not.toContain(plantedName);
      expect(await pulled(remote(`lab/${name}:latest`), extra)).toBe(later.version);
      countHostile(`a manifest dated in the future by a Transfer with preserve_timestamp (layout ${layout})`, 'CLI');
    },
  );

  it('a manifest dated just ahead of the server, within the skew: the push CONFLICT says to remove it, not to push again', async () => {
    const first = await image();
    expect((await cli.run(['push', first.file, remote('lab/soon:latest')])).code).toBe(0);
    const planted = await image();
    const plantedName = `latest@${planted.version}.20240101T000000000Z.json`;
    await plantByTransfer(
      '/shub/lab/soon/',
      [
        { name: `sha256.${planted.version}.sif`, from: planted.file },
        { name: plantedName, from: await manifestFile('soon', 'latest', planted) },
      ],
      '+4 minutes',
    );
    const later = await image();
    const run = await cli.run(['push', later.file, remote('lab/soon:latest'), '--quiet']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `names ${plantedName} .*later than the server's clock: .*pushing again cannot win; remove that manifest \\(delete globus://${sb.collection.id}/lab/soon:latest@${planted.version}, or prune\\) .*\\[CONFLICT\\]$`,
        'm',
      ),
    );
    expect(run.stderr).not.toMatch(/push again to make the tag name this version/);
  });

  it('a runner whose clock is 3 hours ahead cannot pin a tag: its push is a CONFLICT that says so, and the next push wins', async () => {
    const ahead = await image();
    const run = await skewed('+3h', ['push', ahead.file, remote('lab/clock:latest'), '--quiet']);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/stamped more than 5 minutes ahead .*set this machine's clock right.*\[CONFLICT\]$/m);
    // Its manifest is not left behind for readers to skip and doctor to report.
    expect((await readdir(folder('shub', 'lab', 'clock'))).filter((f) => f.endsWith('.json'))).toEqual([]);

    const right = await image();
    const push = await cli.run(['push', right.file, remote('lab/clock:latest'), '--json']);
    expect(push.code).toBe(0);
    expect(json<Pushed>(push).images[0]!.status).toBe('pushed');
    expect(await pulled(remote('lab/clock:latest'))).toBe(right.version);
    countHostile('a pusher whose clock is hours ahead', 'CLI');
  });

  it.each([
    ['layout 2', async (): Promise<NodeJS.ProcessEnv> => ({})],
    ['layout 1', () => layout1Root('behind1')],
  ])('%s: a push from a runner whose clock is an hour behind still moves the tag', async (_layout, setup) => {
    const extra = await setup();
    const first = await image();
    expect((await cli.run(['push', first.file, remote('lab/behind:latest')], { ...env, ...extra })).code).toBe(0);
    await nextSecond();
    const second = await image();
    const run = await skewed('-1h', ['push', second.file, remote('lab/behind:latest'), '--json'], extra);
    expect(run.code).toBe(0);
    expect(json<Pushed>(run).images[0]).toMatchObject({ status: 'pushed', version: second.version });
    expect(await pulled(remote('lab/behind:latest'), extra)).toBe(second.version);
    countHostile('a pusher whose clock is an hour behind', 'CLI');
  });

  it.each([
    ['layout 2', async (): Promise<NodeJS.ProcessEnv> => ({})],
    ['layout 1', () => layout1Root('race1')],
  ])(
    '%s: concurrent pushers with different clocks: the tag names a push that succeeded, a loser is a CONFLICT naming the winner',
    async (_layout, setup) => {
      const extra = await setup();
      const files = await Promise.all([image(), image(), image()]);
      const runs = await Promise.all([
        skewed('-2m', ['push', files[0]!.file, remote('lab/race:latest'), '--json'], extra),
        cli.run(['push', files[1]!.file, remote('lab/race:latest'), '--json'], { ...env, ...extra }),
        skewed('+90s', ['push', files[2]!.file, remote('lab/race:latest'), '--json'], extra),
      ]);
      const won = await pulled(remote('lab/race:latest'), extra);
      const succeeded = files.filter((_, i) => runs[i]!.code === 0).map((f) => f.version);
      expect(succeeded).toContain(won);
      runs.forEach((run, i) => {
        if (run.code === 0) return;
        expect(run.code).toBe(1);
        const error = JSON.parse(run.stdout) as { error: { code: string; message: string } };
        expect(error.error.code).toBe('CONFLICT');
        // It names the manifest that won when it read the tag back: another pusher's, never its own.
        const named = /names latest@([0-9a-f]{64})/.exec(error.error.message)?.[1];
        expect(files.filter((_, j) => j !== i).map((f) => f.version)).toContain(named);
      });
      countHostile('concurrent pushers of one tag with different clocks', 'CLI');
    },
  );

  it("equal stamps: the manifest the server wrote last wins, whatever the version files' times say", async () => {
    const [a, b] = await Promise.all([image(), image()]);
    const dir = folder('shub', 'lab', 'equal');
    await mkdir(dir, { recursive: true });
    const stamp = '20260101T000000000Z';
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    for (const [img, manifestTime, fileTime] of [
      [a, 10, 50],
      [b, 20, 5],
    ] as const) {
      const ref = { collection: 'lab', name: 'equal', tag: 'latest', version: img.version };
      const size = (await stat(img.file)).size;
      const manifest = join(dir, `latest@${img.version}.${stamp}.json`);
      const file = join(dir, `sha256.${img.version}.sif`);
      await copyFile(img.file, file);
      await writeFile(manifest, manifestText(buildManifest({ endpoint: sb.collection.id, ref, size, pushedBy: 'x' })));
      await utimes(manifest, at(manifestTime), at(manifestTime));
      await utimes(file, at(fileTime), at(fileTime));
    }
    const record = json<{ version: string }>(await cli.run(['record', remote('lab/equal:latest'), '--json']));
    expect(record.version).toBe(b.version);
    expect(await pulled(remote('lab/equal:latest'))).toBe(b.version);
    countHostile('two manifests of one tag with equal stamps', 'CLI');
  });

  it('pushes SIF images only: a text file named .sif is refused in one line and nothing is uploaded; --any-file pushes it', async () => {
    const notes = join(sb.tmp, 'notes.sif');
    await writeFile(notes, 'meeting notes, not an image\n');
    const run = await cli.run(['push', notes, remote('lab/notes:latest')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/notes\.sif is a text file, not a SIF image: .*--any-file.*\[INVALID_INPUT\]$/);
    await expect(readdir(folder('shub', 'lab', 'notes'))).rejects.toMatchObject({ code: 'ENOENT' });

    const legacy = join(sb.tmp, 'legacy.simg');
    await writeFile(legacy, Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(4096, 3)]));
    const refused = await cli.run(['push', legacy, remote('lab/legacy:latest')]);
    expect(refused.stderr).toContain('a squashfs image (a legacy Singularity .simg)');
    const forced = await cli.run(['push', legacy, remote('lab/legacy:latest'), '--any-file', '--json']);
    expect(forced.code).toBe(0);
    expect(json<Pushed>(forced).images[0]).toMatchObject({ status: 'pushed', version: await fileSha256(legacy) });
    countHostile('a file that is not a SIF image pushed as one', 'CLI');
  });

  it('labels that drive terminals come out escaped in record, pull and inspect; --json keeps them exactly', async () => {
    const img = await image(HOSTILE_LABELS);
    expect((await cli.run(['push', img.file, remote('lab/labels:latest')])).code).toBe(0);
    for (const command of ['record', 'pull']) {
      const run = await cli.run([command, remote('lab/labels:latest')]);
      expect(run.code).toBe(0);
      expect(RAW_CONTROL.test(run.stdout)).toBe(false);
      expect(run.stdout).toContain('label:    title=\\x1b]0;owned\\x07');
      expect(run.stdout).toContain('label:    bidi=txt.\\u{202e}exe');
      expect(run.stdout).toContain('label:    csi=\\x9b2J');
      const exact = json<{ labels: Record<string, string> }>(
        await cli.run([command, remote('lab/labels:latest'), '--json']),
      );
      expect(exact.labels).toEqual(HOSTILE_LABELS);
      // -F unix: fields separated by tabs, nothing else raw.
      const unix = await cli.run([command, remote('lab/labels:latest'), '-F', 'unix']);
      expect(unix.code).toBe(0);
      expect(RAW_CONTROL.test(unix.stdout.replace(/\t/g, ' '))).toBe(false);
    }
    const inspect = await cli.run(['inspect', 'lab/labels:latest']);
    expect(inspect.code).toBe(0);
    expect(RAW_CONTROL.test(inspect.stdout)).toBe(false);
    expect(inspect.stdout).toContain('\\u{202e}');
    expect(inspect.stdout).toContain('\\x9b2J');
    expect(
      json<{ manifest: { labels: Record<string, string> } }>(await cli.run(['inspect', 'lab/labels:latest', '--json']))
        .manifest.labels,
    ).toEqual(HOSTILE_LABELS);
    countHostile('manifest labels with terminal escapes', 'CLI');
  });

  it('refuses plain http to a name under .localhost before any request (DNS could answer it with any address)', async () => {
    const run = await cli.run(['search', 'x'], {
      ...env,
      GLOBUS_SDK_SERVICE_URL_AUTH: 'http://registry.localhost:9/',
      GLOBUS_SDK_SERVICE_URL_TRANSFER: 'http://registry.localhost:9/',
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(
      /Refusing plain http to registry\.localhost:9 \(a name under \.localhost may be answered by DNS\).*\[INSECURE_URL\]$/,
    );
    countHostile('plain http to a name under .localhost', 'CLI');
  });

  it("an endpoint's display name with escapes comes out escaped in doctor's endpoint row and in search", async () => {
    const doctor = await cli.run(['doctor', `globus://${hostileEndpoint}`]);
    expect(RAW_CONTROL.test(doctor.stdout)).toBe(false);
    expect(doctor.stdout).toMatch(/ok\s+endpoint\s+lab\\x1b\]0;pwned\\x07\\x1b\[2J\\u\{202e\}evil \(/);
    const search = await cli.run(['search', 'lab']);
    expect(RAW_CONTROL.test(search.stdout)).toBe(false);
    expect(search.stdout).toContain('lab\\x1b]0;pwned\\x07');
    const exact = json<{ endpoint: { displayName: string } }>(
      await cli.run(['doctor', `globus://${hostileEndpoint}`, '--json']),
    );
    expect(exact.endpoint.displayName).toBe('lab\u001b]0;pwned\u0007\u001b[2J\u202eevil');
    countHostile('an endpoint display name with terminal escapes', 'CLI');
  });
});
