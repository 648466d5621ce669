/**
 * A registry at a `/~/` root of a guest collection (`/~/.singularity/shub/`): on a guest
 * collection `/~/` is the collection's root, so a rule is written and compared on the
 * path without it, and a grant there opens what it says (real processes, sandbox).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSif } from '../../src/core/sif.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { newClient } from '../support/worlds.js';
import { assertBuilt, Cli, json, sandboxEnv } from './support.js';

describe('access on a registry at /~/.singularity/shub/ (real process, sandbox)', () => {
  let sb: TestSandbox;
  let owner: Cli;
  let other: Cli;
  const reader = newClient('home-reader', 'home-reader-secret-0123456789');
  let registry: string;
  const ROOT = '/~/.singularity/shub/';

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox((world) => {
      world.clients.push(reader);
    });
    owner = new Cli({ ...(await sandboxEnv(sb)), SREGISTRY_GLOBUS_ROOT: ROOT });
    other = new Cli({
      ...(await sandboxEnv(sb, reader)),
      SREGISTRY_GLOBUS_ROOT: ROOT,
      SREGISTRY_STORAGE: join(sb.tmp, 'storage-other'),
      SREGISTRY_DATABASE: join(sb.tmp, 'other-db'),
    });
    // The root's parent is there, as `~/.singularity` is where apptainer has been used.
    await mkdir(join(sb.collection.root!, '.singularity'));
    const file = join(sb.tmp, 'home.sif');
    await writeSif(file, { labels: { at: 'home' }, payloadBytes: Buffer.alloc(16 * 1024, 5) });
    registry = `globus://${sb.collection.id}`;
    const push = await owner.run(['push', file, `${registry}/lab/app:v1`, '--transport', 'https', '--quiet']);
    expect([push.code, push.stderr]).toEqual([0, '']);
  });
  afterAll(() => sb.stop());

  it('a grant on a collection lets the second client pull, and list places it inside the registry', async () => {
    const grant = await owner.run(['access', 'grant', `${registry}/lab`, '--to', reader.id, '--json']);
    expect(grant.code).toBe(0);
    expect(json<{ path: string }>(grant).path).toBe('/.singularity/shub/lab/');
    const pull = await other.run(['pull', `${registry}/lab/app:v1`, '--transport', 'https', '--json']);
    expect([pull.code, pull.stderr]).toEqual([0, '']);
    const list = json<{ rules: Array<{ who: string; path: string; scope: string }> }>(
      await owner.run(['access', 'list', registry, '--json']),
    );
    expect(list.rules.find((r) => r.who === reader.id)).toMatchObject({
      path: '/.singularity/shub/lab/',
      scope: 'inside',
    });
  });

  it('a grant on the registry root shows in doctor as covering the root', async () => {
    const grant = await owner.run(['access', 'grant', registry, '--to', reader.id, '--write', '--json']);
    expect(json<{ path: string; status: string }>(grant)).toMatchObject({
      path: '/.singularity/shub/',
      status: 'created',
    });
    const list = json<{ rules: Array<{ who: string; path: string; scope: string }> }>(
      await owner.run(['access', 'list', registry, '--json']),
    );
    expect(list.rules.find((r) => r.path === '/.singularity/shub/')).toMatchObject({ who: reader.id, scope: 'root' });
    const doctor = json<{ access?: { write: string[]; inside: number } }>(
      await owner.run(['doctor', registry, '--json']),
    );
    expect(doctor.access?.write).toEqual(expect.arrayContaining([reader.id]));
    expect(doctor.access?.inside).toBe(1);
  });
});
