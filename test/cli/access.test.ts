/**
 * `sregistry-globus access` as a real process against the sandbox: a second client can
 * pull only while a rule grants it, the rules change on Globus at once, a repeated grant
 * says so and exits 0.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { writeSif } from '../../src/core/sif.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { newClient } from '../support/worlds.js';
import { assertBuilt, Cli, json, leakedSecrets, sandboxEnv } from './support.js';

interface Rule {
  id: string | null;
  who: string;
  path: string;
  permissions: string;
  scope: string;
  role?: string;
}

describe('sregistry-globus access (real process, sandbox)', () => {
  let sb: TestSandbox;
  let owner: Cli;
  let other: Cli;
  const reader = newClient('second-lab', 'second-lab-secret-0123456789');
  let registry: string;

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox((world) => {
      world.clients.push(reader);
    });
    owner = new Cli(await sandboxEnv(sb));
    other = new Cli({
      ...(await sandboxEnv(sb, reader)),
      SREGISTRY_STORAGE: join(sb.tmp, 'storage-other'),
      SREGISTRY_DATABASE: join(sb.tmp, 'other-db'),
    });
    const file = join(sb.tmp, 'shared.sif');
    await writeSif(file, { labels: { purpose: 'sharing' }, payloadBytes: Buffer.alloc(32 * 1024, 3) });
    registry = `globus://${sb.collection.id}`;
    const push = await owner.run(['push', file, `${registry}/lab/shared:v1`, '--transport', 'https', '--quiet']);
    expect(push.code).toBe(0);
  });
  afterAll(() => sb.stop());

  const pullAsOther = () => other.run(['pull', `${registry}/lab/shared:v1`, '--transport', 'https', '--json']);
  const rules = async (): Promise<Rule[]> => {
    const run = await owner.run(['access', 'list', registry, '--json']);
    expect(run.code).toBe(0);
    return json<{ rules: Rule[]; root: string }>(run).rules;
  };

  it('a second client pulls only while a rule grants it read', async () => {
    const before = await pullAsOther();
    expect(before.code).toBe(1);
    expect(json<{ error: { code: string } }>(before).error.code).toBe('NOT_FOUND');

    const grant = await owner.run([
      'access',
      'grant',
      `${registry}/lab`,
      '--to',
      `${reader.id}@clients.auth.globus.org`,
      '--json',
    ]);
    expect(grant.code).toBe(0);
    const granted = json<{ ruleId: string; path: string; permissions: string; status: string; who: string }>(grant);
    expect(granted).toMatchObject({ path: '/shub/lab/', permissions: 'r', status: 'created', who: reader.id });

    const during = await pullAsOther();
    expect([during.code, during.stderr]).toEqual([0, '']);
    expect(json<{ sha256: string; status: string }>(during).status).toBe('pulled');

    // A reader may not write: a push by the second client is refused.
    const push = await other.run([
      'push',
      join(sb.tmp, 'shared.sif'),
      `${registry}/lab/shared:mine`,
      '--transport',
      'https',
      '--json',
    ]);
    expect(push.code).toBe(1);
    expect(json<{ error: { code: string } }>(push).error.code).toBe('PERMISSION_DENIED');

    const revoke = await owner.run(['access', 'revoke', registry, granted.ruleId]);
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toContain(`Deleted access rule ${granted.ruleId}`);
    const after = await other.run([
      'pull',
      `${registry}/lab/shared:v1`,
      '--transport',
      'https',
      '--json',
      '--storage',
      join(sb.tmp, 'storage-after'),
    ]);
    expect(after.code).toBe(1);
  });

  it('a repeated grant says the rule exists and exits 0; --write changes it', async () => {
    const args = ['access', 'grant', registry, '--to', reader.id];
    const first = await owner.run(args);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      new RegExp(`^${reader.id} may now read /shub/ on sandbox-collection \\(rule [0-9a-f-]{36}\\)\\n$`),
    );
    const again = await owner.run(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/may already read \/shub\/ .*nothing changed/);
    const write = await owner.run([...args, '--write', '-F', 'unix']);
    expect(write.code).toBe(0);
    expect(write.stdout).toMatch(new RegExp(`^[0-9a-f-]{36}\\trw\\t${reader.id}\\t/shub/\\tupdated\\n$`));
    const listed = (await rules()).filter((r) => r.who === reader.id);
    expect(listed).toEqual([expect.objectContaining({ path: '/shub/', permissions: 'rw', scope: 'root' })]);
  });

  it('lists rules in text, unix and json, with the owner and what each covers', async () => {
    const all = await rules();
    expect(all[0]).toMatchObject({
      id: null,
      who: sb.client.id,
      path: '/',
      permissions: 'rw',
      scope: 'root',
      role: 'administrator',
    });
    const text = await owner.run(['access', 'list', registry]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`registry root /shub/`);
    expect(text.stdout).toMatch(/RULE\s+PERMISSIONS\s+WHO\s+PATH\s+COVERS/);
    expect(text.stdout).toContain('whole registry');
    const unix = await owner.run(['access', 'list', registry, '-F', 'unix']);
    expect(unix.stdout.trim().split('\n')).toHaveLength(all.length);
    expect(unix.stdout.split('\n')[0]).toBe(`\trw\t${sb.client.id}\t/\troot\tadministrator`);
  });

  it('refuses what it cannot do with one line and the right exit code', async () => {
    const badPrincipal = await owner.run(['access', 'grant', registry, '--to', 'someone@example.org']);
    expect(badPrincipal.code).toBe(2);
    expect(badPrincipal.stderr).toMatch(/is not a principal \(a username must first be looked up/);
    const noTo = await owner.run(['access', 'grant', registry]);
    expect(noTo.code).toBe(2);
    const badAction = await owner.run(['access', 'share', registry]);
    expect(badAction.code).toBe(2);
    const tag = await owner.run(['access', 'grant', `${registry}/lab/shared:v1`, '--to', reader.id]);
    expect(tag.code).toBe(2);
    expect(tag.stderr).toMatch(/takes no tag or version/);
    const missing = await owner.run(['access', 'revoke', registry, '00000000-0000-4000-8000-000000000000', '--json']);
    expect(missing.code).toBe(1);
    expect(json<{ error: { code: string; message: string } }>(missing).error).toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/access list/),
    });
    // The second client sees the collection (it has a rule) but may not manage it.
    const notManager = await other.run(['access', 'list', registry, '--json']);
    expect(notManager.code).toBe(1);
    expect(json<{ error: { code: string; message: string } }>(notManager).error).toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringMatching(/access manager/),
    });
    const personal = await owner.run(['access', 'list', `globus://${sb.personal.id}`]);
    expect(personal.code).toBe(1);
    expect(personal.stderr).toMatch(/guest collections only/);
  });

  it('doctor reports who may read and write the registry root when the client may see the rules', async () => {
    // The second test left the second client with read-write on /shub/.
    const mine = await owner.run(['doctor', registry, '--json']);
    const report = json<{
      access?: { root: string; read: string[]; write: string[] };
      checks: Array<{ check: string; status: string; detail: string }>;
    }>(mine);
    expect(report.access).toMatchObject({
      root: '/shub/',
      write: expect.arrayContaining([sb.client.id, reader.id]),
      read: [],
    });
    expect(report.checks.find((c) => c.check === 'access')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^on \/shub\/: read-write .*; read-only nobody/),
    });
    const text = await owner.run(['doctor', registry]);
    expect(text.stdout).toMatch(/^ok\s+access\s+on \/shub\/: read-write /m);

    // A rules listing that fails is a skip with the reason, never a failed doctor.
    sb.context.faults.add({
      match: { path: '/access_list$' },
      action: { kind: 'status', status: 400, code: 'ClientError.BadRequest', message: 'listing refused' },
      times: 1,
    });
    const refused = await owner.run(['doctor', registry, '--json']);
    expect(refused.code).toBe(0);
    expect(
      json<{ checks: Array<{ check: string; status: string; detail: string }> }>(refused).checks.find(
        (c) => c.check === 'access',
      ),
    ).toMatchObject({
      status: 'skip',
      detail: expect.stringMatching(/^could not read the collection's access rules: .*listing refused/),
    });

    const theirs = json<{ access?: unknown; checks: Array<{ check: string; status: string; detail: string }> }>(
      await other.run(['doctor', registry, '--json']),
    );
    expect(theirs.access).toBeUndefined();
    expect(theirs.checks.find((c) => c.check === 'access')).toMatchObject({
      status: 'skip',
      detail: expect.stringMatching(/may not see the collection's access rules/),
    });
  });

  it('a grant of read where read-write is there keeps it, says so and points to revoke', async () => {
    const args = ['access', 'grant', `${registry}/team`, '--to', reader.id];
    const wide = await owner.run([...args, '--write', '--json']);
    expect(json<{ status: string; permissions: string }>(wide)).toMatchObject({ status: 'created', permissions: 'rw' });
    const narrow = await owner.run(args);
    expect(narrow.code).toBe(0);
    expect(narrow.stdout).toMatch(
      /may already read and write \/shub\/team\/ .*which covers read: nothing changed; to allow read only, `access revoke` that rule/,
    );
    const asJson = json<{ status: string; permissions: string; requested: string }>(
      await owner.run([...args, '--json']),
    );
    expect(asJson).toMatchObject({ status: 'exists', permissions: 'rw', requested: 'r' });
    expect((await rules()).filter((r) => r.path === '/shub/team/')).toEqual([
      expect.objectContaining({ who: reader.id, permissions: 'rw' }),
    ]);
  });

  it('a grant whose create meets a rule made meanwhile widens that rule when it grants less', async () => {
    const args = ['access', 'grant', `${registry}/race`, '--to', reader.id];
    expect((await owner.run(args)).code).toBe(0);
    // The listing before the create misses the rule (as if it was made just after): the create then meets it.
    sb.context.faults.add({
      match: { path: '/access_list$' },
      action: {
        kind: 'status',
        status: 200,
        rawBody: JSON.stringify({ DATA_TYPE: 'access_list', endpoint: sb.collection.id, DATA: [], length: 0 }),
      },
      times: 1,
    });
    const write = await owner.run([...args, '--write', '--json']);
    expect(write.code).toBe(0);
    expect(json<{ status: string; permissions: string }>(write)).toMatchObject({
      status: 'updated',
      permissions: 'rw',
    });
    expect((await rules()).filter((r) => r.path === '/shub/race/')).toEqual([
      expect.objectContaining({ who: reader.id, permissions: 'rw' }),
    ]);
  });

  it('never prints a secret', () => {
    expect(
      leakedSecrets([...owner.runs, ...other.runs], [sb.client.secret, reader.secret, ...sb.context.tokens.all()]),
    ).toEqual([]);
  });
});
