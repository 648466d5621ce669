/**
 * The CLI behind a forward proxy (test/support/forward-proxy.ts) with Basic proxy
 * credentials, in front of the sandbox: every command of both transports goes through it
 * (Auth, Transfer and the collection's HTTPS server all in its log), NO_PROXY bypasses it,
 * a dead proxy or wrong proxy credentials are one `error: … [PROXY]` line naming the
 * proxy, and the proxy password never shows in any output, --debug included.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeSif } from '../../src/core/sif.js';
import type { SandboxEndpoint } from '../../src/sandbox/model.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { extraEndpoint } from '../support/worlds.js';
import { deadPort, startForwardProxy, type ForwardProxy } from '../support/forward-proxy.js';
import { assertBuilt, Cli, leakedSecrets, sandboxEnv, type CliRun } from './support.js';

const USER = 'proxy-user';
const PASSWORD = 'Pr0xy-Pa55word-never-shown';

describe('the CLI behind a proxy', () => {
  let sb: TestSandbox;
  let site: SandboxEndpoint;
  let proxy: ForwardProxy;
  let env: NodeJS.ProcessEnv;
  let cli: Cli;
  let file: string;
  let remote: string;

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox((world, tmp) => {
      site = extraEndpoint({
        displayName: 'sandbox-site-b',
        entityType: 'GCSv5_guest_collection',
        owner: world.clients[0]!.id,
        https: true,
        root: join(tmp, 'site-b'),
      });
      mkdirSync(site.root!, { recursive: true });
      world.endpoints.push(site);
    });
    proxy = await startForwardProxy({ user: USER, password: PASSWORD });
    const proxyUrl = `http://${USER}:${PASSWORD}@127.0.0.1:${proxy.port}`;
    env = { ...(await sandboxEnv(sb)), HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl };
    cli = new Cli(env);
    file = join(sb.tmp, 'proxied.sif');
    await writeSif(file, { labels: { maintainer: 'proxy test' }, payloadBytes: Buffer.alloc(256 * 1024, 3) });
    remote = `globus://${sb.collection.id}/lab/proxied`;
  });
  afterAll(async () => {
    await proxy.close();
    await sb.stop();
  });

  const origin = (url: string): string => new URL(url).origin;
  /** Runs a command and answers the proxy log entries it caused. */
  async function through(args: string[], runEnv: NodeJS.ProcessEnv = env): Promise<{ run: CliRun; logged: string[] }> {
    const before = proxy.log.length;
    const run = await cli.run(args, runEnv);
    const entries = proxy.log.slice(before);
    expect(entries.filter((e) => !e.authorized)).toEqual([]);
    return { run, logged: entries.map((e) => `${e.method} ${e.target}`) };
  }
  const ok = (run: CliRun): void =>
    expect([run.args.join(' '), run.code, run.stderr.split('\n').filter((l) => l.startsWith('error:'))]).toEqual([
      run.args.join(' '),
      0,
      [],
    ]);

  it('every command of the https transport goes through the proxy: Auth, Transfer and collection calls', async () => {
    const auth = `${origin(sb.url)}/v2/oauth2/token`;
    const transfer = `${origin(sb.url)}/v0.10/`;
    const collection = origin(sb.collection.httpsServer!);
    const pushed = await through(['push', file, `${remote}:v1`, '--transport', 'https']);
    ok(pushed.run);
    expect(pushed.logged.some((l) => l.startsWith(`POST ${auth}`))).toBe(true);
    expect(pushed.logged.some((l) => l.includes(transfer))).toBe(true);
    expect(pushed.logged.some((l) => l.startsWith(`PUT ${collection}/`))).toBe(true);

    const storage = join(sb.tmp, 'storage-proxy-https');
    const pulled = await through(['pull', `${remote}:v1`, '--transport', 'https', '--storage', storage]);
    ok(pulled.run);
    expect(pulled.logged.some((l) => l.startsWith(`GET ${collection}/`) && l.endsWith('.sif'))).toBe(true);

    for (const args of [
      ['record', `${remote}:v1`],
      ['search', 'proxied', '--endpoint', sb.collection.id],
      ['doctor', `globus://${sb.collection.id}`],
      ['replicate', `${remote}:v1`, `globus://${site.id}`],
    ]) {
      const { run, logged } = await through(args);
      ok(run);
      expect([args[0], logged.some((l) => l.includes(transfer))]).toEqual([args[0], true]);
    }
    const doctor = await through(['doctor', `globus://${sb.collection.id}`, '--json']);
    expect(doctor.logged.some((l) => l.startsWith(`PUT ${collection}/`) || l.startsWith(`GET ${collection}/`))).toBe(
      true,
    );
  });

  it('the transfer transport goes through it too, and prune and delete', async () => {
    const transferEnv = { ...env, SREGISTRY_GLOBUS_LOCAL_ENDPOINT: sb.personal.id };
    const pushed = await through(['push', file, `${remote}:v2`, '--transport', 'transfer'], transferEnv);
    ok(pushed.run);
    expect(pushed.logged.some((l) => l.startsWith('POST') && l.includes('/v0.10/transfer'))).toBe(true);
    const pulled = await through(
      ['pull', `${remote}:v2`, '--transport', 'transfer', '--storage', join(sb.tmp, 'storage-proxy-transfer')],
      transferEnv,
    );
    ok(pulled.run);
    expect(pulled.logged.some((l) => l.includes('/v0.10/transfer'))).toBe(true);
    const pruned = await through(['prune', remote, '--keep', '0', '--dry-run']);
    ok(pruned.run);
    expect(pruned.logged.length).toBeGreaterThan(0);
    const deleted = await through(['delete', `${remote}:v2`, '--force']);
    ok(deleted.run);
    expect(deleted.logged.some((l) => l.includes('/v0.10/'))).toBe(true);
  });

  it('NO_PROXY naming the sandbox host bypasses the proxy', async () => {
    const { run, logged } = await through(['search', 'proxied', '--endpoint', sb.collection.id], {
      ...env,
      NO_PROXY: 'localhost,127.0.0.1',
    });
    ok(run);
    expect(logged).toEqual([]);
    const byPort = await through(['record', `${remote}:v1`], { ...env, no_proxy: `127.0.0.1:${new URL(sb.url).port}` });
    ok(byPort.run);
    expect(byPort.logged.filter((l) => l.includes(origin(sb.url)))).toEqual([]);
  });

  it('a dead proxy is one error line naming it, with code PROXY; nothing goes direct', async () => {
    const port = await deadPort();
    const dead = `http://${USER}:${PASSWORD}@127.0.0.1:${port}`;
    const target = `globus://${sb.collection.id}/lab/never`;
    const run = await cli.run(['push', file, `${target}:v1`, '--transport', 'https'], {
      ...env,
      HTTPS_PROXY: dead,
      HTTP_PROXY: dead,
    });
    expect(run.code).not.toBe(0);
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`127.0.0.1:${port}`);
    expect(errors[0]).toMatch(/\[PROXY\]$/);
    const record = await cli.run(['record', `${target}:v1`]);
    expect(record.code).not.toBe(0);
  });

  it('wrong proxy credentials are one error line with code PROXY', async () => {
    const wrong = `http://${USER}:not-the-password@127.0.0.1:${proxy.port}`;
    const run = await cli.run(['search', 'proxied', '--endpoint', sb.collection.id], {
      ...env,
      HTTPS_PROXY: wrong,
      HTTP_PROXY: wrong,
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(new RegExp(`^error: .*127\\.0\\.0\\.1:${proxy.port}.*407.*\\[PROXY\\]$`, 'm'));
    expect(run.stderr).not.toContain('not-the-password');
  });

  it('--debug and every output never show the proxy credentials', async () => {
    const run = await cli.run(['search', 'proxied', '--endpoint', sb.collection.id, '--debug']);
    ok(run);
    const basic = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    expect(leakedSecrets(cli.runs, [PASSWORD, basic, encodeURIComponent(PASSWORD)])).toEqual([]);
  });
});
