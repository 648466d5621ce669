/**
 * `sregistry-globus doctor` as a process against the sandbox: every check passes, each
 * switch value of the sandbox is what --probe reports, the probe rows are rows of
 * docs/globus-behaviour.md, and a failing check prints what to do.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SWITCHES, type SwitchName } from '../../src/sandbox/behaviour.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { addCollectionUser, mappedCollection, newClient } from '../support/worlds.js';
import { assertBuilt, Cli, json, leakedSecrets, REPO, sandboxEnv } from './support.js';

interface Report {
  ok: boolean;
  endpoint?: { id: string; entityType: string };
  checks: Array<{ check: string; status: string; detail: string; fix?: string }>;
  probes?: Array<{ behaviour: string; variant: string; observed: string }>;
}

/** Which probe row measures which switch. */
const ROW_OF: Record<SwitchName, string> = {
  rename_collision: 'rename collision answer',
  mkdir_missing_parent: 'mkdir missing-parent answer',
  https_put_missing_folder: 'HTTPS PUT into a missing folder',
  https_put_cut: 'HTTPS PUT cut mid-body',
  basic_credentials: 'Basic credentials forms',
  rate_limit_retry_after: '429 Retry-After',
};

describe('sregistry-globus doctor', () => {
  let sb: TestSandbox;
  let cli: Cli;
  let env: NodeJS.ProcessEnv;
  const reader = newClient('doctor-reader', randomBytes(32).toString('base64url'));
  const mappedId = randomUUID();

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox((world, tmp) => {
      addCollectionUser(world, reader, '/', 'r');
      world.endpoints.push(
        mappedCollection(world, { id: mappedId, description: 'mapped', root: join(tmp, 'mapped'), https: true }),
      );
    });
    await mkdir(join(sb.tmp, 'mapped'), { recursive: true });
    env = await sandboxEnv(sb);
    cli = new Cli(env);
  });
  afterAll(async () => {
    expect(leakedSecrets(cli.runs, [sb.client.secret, reader.secret, ...sb.context.tokens.all()])).toEqual([]);
    await sb.stop();
  });
  beforeEach(() => {
    sb.personal.connected = true;
    Object.assign(sb.context.world.behaviour, { rate_limit_requests: 0 });
  });

  const scratchLeft = async (): Promise<string[]> =>
    (await readdir(sb.collection.root!)).filter((n) => n.startsWith('.sregistry-doctor-'));

  it('passes every check on the guest collection, one line each, and removes its scratch folder', async () => {
    const run = await cli.run(['doctor', `globus://${sb.collection.id}`]);
    expect(run.code).toBe(0);
    for (const check of [
      'credentials',
      'endpoint',
      'https-token',
      'registry-root',
      'read',
      'write',
      'transport',
      'local-endpoint',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^(ok|-)\\s+${check}\\s+\\S`, 'm'));
    }
    expect(run.stdout).toMatch(/^ok\s+transport\s+https \(auto: /m);
    expect(run.stdout).toContain('all checks passed');
    expect(await scratchLeft()).toEqual([]);
  });

  it('--json gives the same checks as one document; a mapped collection says it needs data_access', async () => {
    const report = json<Report>(await cli.run(['doctor', `globus://${mappedId}`, '--json']));
    expect(report.ok).toBe(true);
    expect(report.endpoint).toMatchObject({ id: mappedId, entityType: 'GCSv5_mapped_collection' });
    expect(report.checks.find((c) => c.check === 'endpoint')!.detail).toContain(
      `needs data_access consent (https://auth.globus.org/scopes/${mappedId}/data_access)`,
    );
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
  });

  it('checks a configured local endpoint, and the transport auto picks with it', async () => {
    const report = json<Report>(
      await cli.run(['doctor', `globus://${sb.collection.id}`, '--json'], {
        ...env,
        SREGISTRY_GLOBUS_LOCAL_ENDPOINT: sb.personal.id,
      }),
    );
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.check === 'local-endpoint')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('connected'),
    });
    expect(report.checks.find((c) => c.check === 'transport')!.detail).toMatch(
      /^transfer \(auto: a local endpoint is set\)/,
    );
  });

  // Three runs cover every value of every switch: run k sets each switch to its k-th value (wrapping).
  it.each([0, 1, 2])(
    '--probe reports the variant the sandbox is set to (run %i)',
    async (k) => {
      const behaviour = Object.fromEntries(
        Object.entries(SWITCHES).map(([name, values]) => [name, values[k % values.length]]),
      ) as Record<SwitchName, string>;
      const admin = { authorization: `Bearer ${sb.context.world.adminToken}`, 'content-type': 'application/json' };
      // Runs 0 and 1 also make the rate limit bite, so a 429 (with or without Retry-After) is seen.
      const limit = k < 2 ? { rate_limit_requests: 6, rate_limit_window_ms: 1000 } : { rate_limit_requests: 0 };
      const put = await fetch(`${sb.url}/_sandbox/behaviour`, {
        method: 'PUT',
        headers: admin,
        body: JSON.stringify({ ...behaviour, ...limit }),
      });
      expect(put.status).toBe(200);
      const run = await cli.run(['doctor', '--probe', `globus://${sb.collection.id}`, '--json']);
      const report = json<Report>(run);
      expect(report.ok).toBe(true);
      const seen = Object.fromEntries(report.probes!.map((p) => [p.behaviour, p.variant]));
      const expected = Object.fromEntries(
        Object.entries(ROW_OF).map(([name, row]) => [row, behaviour[name as SwitchName]]),
      );
      if (k === 2) expected['429 Retry-After'] = 'not seen';
      expect(seen).toMatchObject(expected);
      expect(seen['HTTPS Range requests']).toBe('supported');
      expect(await scratchLeft()).toEqual([]);
    },
    120_000,
  );

  it('prints the probe table, and every probe row is a row of docs/globus-behaviour.md', async () => {
    const run = await cli.run(['doctor', '--probe', `globus://${sb.collection.id}`]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^BEHAVIOUR\s+VARIANT\s+OBSERVED$/m);
    const doc = await readFile(join(REPO, 'docs', 'globus-behaviour.md'), 'utf8');
    const rows = new Set(
      doc
        .split('\n')
        .filter((l) => l.startsWith('| '))
        .map((l) => l.split('|')[1]!.trim()),
    );
    for (const row of [...Object.values(ROW_OF), 'HTTPS Range requests']) {
      expect(run.stdout).toContain(row);
      expect(rows).toContain(row);
    }
  });

  it('a wrong secret fails the credentials check with what to do, exit 1', async () => {
    const run = await cli.run(['doctor', `globus://${sb.collection.id}`], {
      ...env,
      GLOBUS_CLIENT_SECRET: 'not-the-secret-at-all',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL\s+credentials\s+/m);
    expect(run.stdout).toMatch(/what to do: check GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET/);
  });

  it('a read-only collection fails the write check with what to do, and passes read', async () => {
    const run = await cli.run(['doctor', `globus://${sb.collection.id}`], await sandboxEnv(sb, reader));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^ok\s+read\s+/m);
    expect(run.stdout).toMatch(/^FAIL\s+write\s+/m);
    expect(run.stdout).toContain(`what to do: grant ${reader.id}@clients.auth.globus.org read-write access`);
  });

  it('a disconnected personal endpoint fails the local-endpoint check with what to do', async () => {
    sb.personal.connected = false;
    const run = await cli.run(['doctor', `globus://${sb.collection.id}`], {
      ...env,
      SREGISTRY_GLOBUS_LOCAL_ENDPOINT: sb.personal.id,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL\s+local-endpoint\s+.*not connected/m);
    expect(run.stdout).toContain('what to do: start Globus Connect Personal on that machine');
  });

  it('an unknown endpoint fails the endpoint check with what to do', async () => {
    const run = await cli.run(['doctor', `globus://${randomUUID()}`, '--json']);
    expect(run.code).toBe(1);
    const report = json<Report>(run);
    expect(report.checks.find((c) => c.check === 'endpoint')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('sregistry-globus search'),
    });
  });

  it('doctor --help shows its usage', async () => {
    const run = await cli.run(['doctor', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: sregistry-globus doctor [globus://<endpoint>]');
    expect(run.stdout).toContain('--probe');
  });
});
