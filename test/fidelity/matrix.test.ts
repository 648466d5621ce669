/**
 * The core's scenarios against the strict default sandbox and against each variant of
 * the behaviours that are unverified on real Globus (src/sandbox/behaviour.ts): push (new
 * registry, new version, re-push, extra tags, interrupted then rerun), pull, record,
 * search and delete, over both transports. One sandbox per variant, task times scaled
 * down, so the whole matrix stays within a couple of minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_BEHAVIOUR, SWITCHES, type Behaviour, type SwitchName } from '../../src/sandbox/behaviour.js';
import type { Transport } from '../../src/core/registry/types.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { failure } from '../support/errors.js';
import { fileSha256 as sha } from '../support/files.js';
import { closeCoreAndSandbox } from '../support/lifecycle.js';
import { makeRegistry, randomFile } from '../core/registry/support.js';

/** The strict default, then every other value of every switch, one at a time. */
const VARIANTS: [string, Partial<Behaviour>][] = [
  ['strict default', {}],
  ...(Object.keys(SWITCHES) as SwitchName[]).flatMap((name) =>
    (SWITCHES[name] as readonly string[])
      .filter((v) => v !== DEFAULT_BEHAVIOUR[name])
      .map((v): [string, Partial<Behaviour>] => [`${name}=${v}`, { [name]: v }]),
  ),
];

describe.each(VARIANTS)('scenarios against the sandbox with %s', (_name, behaviour) => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox((world) => {
      Object.assign(world.behaviour, { time_scale: 0.001 }, behaviour);
    });
  });
  afterAll(() => closeCoreAndSandbox(sb));

  const visible = async (dir: string): Promise<string[]> =>
    (await readdir(dir).catch(() => [] as string[])).filter((n) => !n.startsWith('.')).sort();
  /** Layout 2 names with the manifests' stamps blanked, so a folder can be compared whole. */
  const shape = async (dir: string): Promise<string[]> =>
    (await visible(dir)).map((n) => n.replace(/\.\d{8}T\d{9}Z\.json$/, '.<stamp>.json')).sort();

  it.each<Transport>(['https', 'transfer'])(
    'push, re-push, tags, interrupted pushes, pull, record, search and delete over %s',
    async (transport) => {
      const uri = (rest: string): string => `globus://${sb.collection.id}/m-${transport}/${rest}`;
      const folder = (name: string) => join(sb.collection.root!, 'shub', `m-${transport}`, name);
      const h = makeRegistry(sb, transport, {}, `matrix-${transport}`);
      try {
        // New registry (the first transport creates it), then a new version, a re-push and extra tags.
        const v1 = await randomFile(sb, `v1-${transport}.bin`, 20_000);
        const [first] = await h.registry.push(v1, uri('app:v1'));
        expect(first).toMatchObject({ status: 'pushed', version: await sha(v1) });
        const v2 = await randomFile(sb, `v2-${transport}.bin`, 20_000);
        const pushed = await h.registry.push(v2, uri('app:v2'), { tags: ['latest', 'stable'] });
        expect(pushed.map((r) => [r.tag, r.status])).toEqual([
          ['v2', 'pushed'],
          ['latest', 'pushed'],
          ['stable', 'pushed'],
        ]);
        const again = await h.registry.push(v2, uri('app:v2'), { tags: ['latest'] });
        expect(again.every((r) => r.status === 'exists')).toBe(true);
        const version2 = await sha(v2);
        const version1 = await sha(v1);
        expect(await shape(folder('app'))).toEqual(
          [
            `sha256.${version1}.sif`,
            `v1@${version1}.<stamp>.json`,
            `sha256.${version2}.sif`,
            ...['latest', 'stable', 'v2'].map((t) => `${t}@${version2}.<stamp>.json`),
          ].sort(),
        );

        // Interrupted while the image went up: the push fails, nothing is visible, a rerun completes.
        const v3 = await randomFile(sb, `v3-${transport}.bin`, 20_000);
        if (transport === 'https')
          sb.context.faults.add({
            match: { origin: sb.collection.id, method: 'PUT' },
            action: { kind: 'reset', afterBytes: 1000 },
            times: 10,
          });
        else
          sb.context.faults.add({
            match: { taskType: 'TRANSFER' },
            action: { kind: 'task-fail', code: 'ENDPOINT_ERROR' },
          });
        await failure(h.registry.push(v3, uri('cut:v3')));
        sb.context.faults.clear();
        expect(await visible(folder('cut'))).toEqual([]);
        expect((await h.registry.push(v3, uri('cut:v3')))[0]!.status).toBe('pushed');

        // Interrupted at the reveal of the image: a rerun completes.
        const v4 = await randomFile(sb, `v4-${transport}.bin`, 20_000);
        sb.context.faults.add({
          match: { method: 'POST', path: '/rename$' },
          action: { kind: 'status', status: 502, code: 'ExternalError.RenameFailed' },
        });
        await failure(h.registry.push(v4, uri('reveal:v4')));
        sb.context.faults.clear();
        expect(await visible(folder('reveal'))).toEqual([]);
        expect((await h.registry.push(v4, uri('reveal:v4')))[0]!.status).toBe('pushed');

        // Died between the image and its manifest (as a killed process leaves it): the rerun writes only the manifest.
        const v5 = await randomFile(sb, `v5-${transport}.bin`, 20_000);
        const version5 = await sha(v5);
        await mkdir(folder('killed'), { recursive: true });
        await copyFile(v5, join(folder('killed'), `sha256.${version5}.sif`));
        const [rerun] = await h.registry.push(v5, uri('killed:v5'));
        expect(rerun).toMatchObject({ status: 'pushed', version: version5 });
        expect(await shape(folder('killed'))).toEqual([`sha256.${version5}.sif`, `v5@${version5}.<stamp>.json`]);

        // A file of another size where the image should go: a clear error that says what to delete.
        const v6 = await randomFile(sb, `v6-${transport}.bin`, 20_000);
        await mkdir(folder('wrong'), { recursive: true });
        await copyFile(
          await randomFile(sb, `other-${transport}.bin`, 999),
          join(folder('wrong'), `sha256.${await sha(v6)}.sif`),
        );
        // Not this version's size in the listing, so the push uploads and meets the file at reveal.
        const clash = await h.registry.push(v6, uri('wrong:v6')).then(
          () => undefined,
          (err: unknown) => err as { code: string; message: string },
        );
        if (behaviour.rename_collision === 'replace') {
          expect(clash).toBeUndefined();
        } else {
          expect(clash?.code).toBe('CONFLICT');
          expect(clash?.message).toMatch(/delete that file and push again/);
        }

        // Pull, record, search, delete.
        const pulled = await h.registry.pull(uri('app:latest'));
        expect(pulled).toMatchObject({ version: version2, tag: 'latest' });
        expect(await sha(pulled.image!)).toBe(version2);
        expect((await h.registry.record(uri('app:v1'))).version).toBe(await sha(v1));
        const hits = await h.registry.search(`m-${transport}/app`, { endpoint: sb.collection.id });
        expect(hits.map((x) => x.image?.tag).sort()).toEqual(['latest', 'stable', 'v1', 'v2']);
        // Deleting a tag removes its manifest; the version file stays while another tag names it.
        await h.registry.delete(uri('app:stable'));
        expect(await shape(folder('app'))).not.toContain(`stable@${version2}.<stamp>.json`);
        expect(await shape(folder('app'))).toEqual(
          expect.arrayContaining([`latest@${version2}.<stamp>.json`, `sha256.${version2}.sif`]),
        );
      } finally {
        sb.context.faults.clear();
        await h.registry.close();
      }
    },
  );
});
