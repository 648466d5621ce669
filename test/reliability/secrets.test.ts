/**
 * Secrets: every CLI command, the bundled Action and a flow in a real Node-RED runtime run
 * with a known client secret (and, once each, a wrong one). Everything they print, log or
 * export and every file they write (storage, database, home, workspace, userDir with
 * flows.json and the encrypted flows_cred.json) is scanned for the secrets and every
 * token the sandbox issued: zero hits.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { writeSif } from '../../src/core/sif.js';
import { watchChild } from '../support/child.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { BIN, Cli, REPO, assertBuilt, sandboxEnv, type CliRun } from '../cli/support.js';
import { newJob, runAction, sandboxInputs, type ActionRun } from '../action/runner.js';
import { startNodeRed } from '../nodered/runtime.js';
import { waitFor } from '../nodered/support.js';
import { seedImage } from '../nodered/seed.js';
import { countSecretsScan } from './ledger.js';
import { scanForSecrets } from './secret-scan.js';

const WRONG = `wrong-secret-${randomBytes(12).toString('hex')}`;

const PASSPHRASE = `signing-passphrase-${randomBytes(6).toString('hex')}`;
let sb: TestSandbox;
/** A passphrase-protected signing key: its armored lines and its passphrase are secrets too. */
let signingKey: { armored: string; file: string; publicFile: string };
beforeAll(async () => {
  assertBuilt();
  sb = await startTestSandbox();
  const made = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'scan' }],
    passphrase: PASSPHRASE,
    format: 'armored',
  });
  signingKey = {
    armored: made.privateKey,
    file: join(sb.tmp, 'signing-key.asc'),
    publicFile: join(sb.tmp, 'signing-public.asc'),
  };
  await writeFile(signingKey.file, made.privateKey);
  await writeFile(signingKey.publicFile, made.publicKey);
});
afterAll(() => sb.stop());

const keyLines = (): string[] => signingKey.armored.split('\n').filter((l) => l.length >= 8 && !l.startsWith('-----'));
const secrets = () => [sb.client.secret, WRONG, PASSPHRASE, ...keyLines(), ...sb.context.tokens.all()];
const runTexts = (runs: CliRun[]) =>
  Object.fromEntries(
    runs.flatMap((r, i) => [
      [`run ${i} stdout (${r.args.join(' ')})`, r.stdout],
      [`run ${i} stderr`, r.stderr],
    ]),
  );

describe('secrets stay out of everything', () => {
  it('every CLI command, with --debug and --json too, and a wrong secret', async () => {
    const env: NodeJS.ProcessEnv = {
      ...(await sandboxEnv(sb)),
      SREGISTRY_GLOBUS_LOCAL_ENDPOINT: sb.personal.id,
      SREGISTRY_GLOBUS_SIGNING_PASSPHRASE: PASSPHRASE,
    };
    const cli = new Cli(env);
    const file = join(sb.tmp, 'secret-scan.sif');
    await writeSif(file, { payloadBytes: randomBytes(96 * 1024) });
    const image = `globus://${sb.collection.id}/scan/app`;
    const expectOk = (run: CliRun) =>
      expect([run.args.join(' '), run.code, run.stderr]).toEqual([run.args.join(' '), 0, run.stderr]);
    for (const args of [
      ['push', file, `${image}:v1`, '--tag', 'v2'],
      ['push', file, `${image}:v3`, '--transport', 'transfer', '--debug'],
      [
        'push',
        file,
        `${image}:signed`,
        '--sign-key',
        signingKey.file,
        '--require-signed',
        '--keyring',
        signingKey.publicFile,
        '--debug',
      ],
      ['pull', `${image}:signed`, '--debug', '--json'],
      ['pull', `${image}:v1`, '--debug'],
      ['pull', `${image}:v2`, '--transport', 'transfer', '--json'],
      ['record', `${image}:v3`, '--debug'],
      ['search', '--endpoint', sb.collection.id, '--debug'],
      ['search', 'sandbox', '--json'],
      ['inspect', 'scan/app:v1', '--json'],
      ['images', '--debug'],
      ['delete', `${image}:v3`, '--debug'],
      ['demo'],
    ]) {
      expectOk(await cli.run(args));
    }
    // Failures: a missing image, and a wrong secret (its error must not echo it).
    expect((await cli.run(['pull', `${image}:missing`, '--debug'])).code).toBe(1);
    const wrong = await cli.run(['pull', `${image}:v1`, '--debug', '--json'], {
      ...env,
      GLOBUS_CLIENT_SECRET: WRONG,
      SREGISTRY_STORAGE: join(sb.tmp, 'wrong-storage'),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/\[AUTH_FAILED\]|\[INVALID_CLIENT\]|\[[A-Z_]+\]/);
    // A wrong passphrase: refused without echoing either passphrase.
    const badPassphrase = await cli.run(['push', file, `${image}:bad`, '--sign-key', signingKey.file, '--debug'], {
      ...env,
      SREGISTRY_GLOBUS_SIGNING_PASSPHRASE: `${PASSPHRASE}-wrong`,
    });
    expect(badPassphrase.code).toBe(1);
    expect(badPassphrase.stderr).toContain('[INVALID_INPUT]');
    // The sandbox command prints its own (local) secret by design; ours must not appear.
    const sandbox = watchChild(process.execPath, [BIN, 'sandbox'], { cwd: REPO, env });
    await sandbox.waitFor('GLOBUS_CLIENT_SECRET');
    sandbox.child.kill('SIGINT');
    const sandboxEnd = await sandbox.exited;
    expect(sandboxEnd.code).toBe(0);

    const scan = await scanForSecrets(
      secrets(),
      {
        ...runTexts(cli.runs),
        'sandbox command stdout': sandboxEnd.stdout,
        'sandbox command stderr': sandboxEnd.stderr,
      },
      [String(env.SREGISTRY_STORAGE), String(env.HOME), join(sb.tmp, 'wrong-storage')],
      [join(String(env.SREGISTRY_DATABASE), 'sregistry.db'), join(String(env.SREGISTRY_DATABASE), 'sregistry.db-wal')],
    );
    countSecretsScan('CLI: every command', { files: scan.files, bytes: scan.bytes, hits: scan.hits.length });
    expect(scan.hits).toEqual([]);
    expect(scan.files).toBeGreaterThan(2);
  }, 240_000);

  it('the Action: push, pull, a signed push and a wrong secret, with debug logging', async () => {
    const job = await newJob(sb.tmp);
    await writeSif(join(job.workspace, 'app.sif'), { payloadBytes: randomBytes(64 * 1024) });
    const env = { RUNNER_DEBUG: '1' };
    const runs: ActionRun[] = [
      await runAction({
        job,
        inputs: sandboxInputs(sb, { command: 'push', name: 'scan/action', images: 'app.sif', tags: 'v1' }),
        env,
      }),
      await runAction({ job, inputs: sandboxInputs(sb, { command: 'pull', name: 'scan/action', tags: 'v1' }), env }),
      await runAction({
        job,
        inputs: sandboxInputs(sb, {
          command: 'push',
          name: 'scan/action',
          images: 'app.sif',
          tags: 'signed',
          'signing-key': signingKey.armored,
          'signing-key-passphrase': PASSPHRASE,
        }),
        env,
      }),
      await runAction({
        job,
        inputs: sandboxInputs(sb, {
          command: 'pull',
          name: 'scan/action',
          tags: 'v1',
          'client-secret': WRONG,
          'pull-to': 'wrong',
        }),
        env,
      }),
    ];
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 1]);
    // ::add-mask:: lines are how the runner learns what to hide: the one place a secret is meant to be printed.
    const shown = (r: ActionRun) =>
      r.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n');
    const texts = Object.fromEntries(
      runs.flatMap((r, i) => [
        [`action ${i} stdout`, shown(r)],
        [`action ${i} stderr`, r.stderr],
        [`action ${i} outputs`, JSON.stringify(r.outputs)],
      ]),
    );
    const files = (await import('node:fs/promises')).readdir;
    const commandFiles = (await files(job.root))
      .filter((n) => /^(output|summary|env|state)-/.test(n))
      .map((n) => join(job.root, n));
    const scan = await scanForSecrets(secrets(), texts, [job.workspace, job.runnerTemp], commandFiles);
    countSecretsScan('Action: push, pull, signed push, wrong secret', {
      files: scan.files,
      bytes: scan.bytes,
      hits: scan.hits.length,
    });
    expect(scan.hits).toEqual([]);
  }, 120_000);

  it('a Node-RED flow in a real runtime: export, flows.json, flows_cred.json, the log, storage and database', async () => {
    await seedImage(sb, 'scan/flow:v1');
    const red = await startNodeRed({ credentialSecret: `cred-key-${randomBytes(8).toString('hex')}` });
    try {
      const client = (id: string, secret: string, dir: string) => ({
        id,
        type: 'sregistry-globus-client',
        name: `${id} client`,
        authUrl: `${sb.url}/`,
        transferUrl: `${sb.url}/`,
        endpoint: sb.collection.id,
        root: '',
        transport: 'https',
        localEndpoint: '',
        storage: join(red.userDir, dir, 'storage'),
        database: join(red.userDir, dir, 'sregistry.db'),
        credentials: { clientId: sb.client.id, clientSecret: secret },
      });
      const flows = [
        { id: 'tab1', type: 'tab', label: 'scan' },
        client('good', sb.client.secret, 'good'),
        client('bad', WRONG, 'bad'),
        {
          id: 'in1',
          type: 'inject',
          z: 'tab1',
          props: [{ p: 'payload' }],
          payloadType: 'date',
          repeat: '',
          once: false,
          wires: [['pull1', 'miss1', 'pull2']],
        },
        {
          id: 'pull1',
          type: 'sregistry-pull',
          z: 'tab1',
          client: 'good',
          image: 'scan/flow:v1',
          endpoint: '',
          transport: '',
          queueLimit: 10,
          wires: [[]],
        },
        {
          id: 'miss1',
          type: 'sregistry-pull',
          z: 'tab1',
          client: 'good',
          image: 'scan/missing:v1',
          endpoint: '',
          transport: '',
          queueLimit: 10,
          wires: [[]],
        },
        {
          id: 'pull2',
          type: 'sregistry-pull',
          z: 'tab1',
          client: 'bad',
          image: 'scan/flow:v1',
          endpoint: '',
          transport: '',
          queueLimit: 10,
          wires: [[]],
        },
      ];
      const deploy = await fetch(`${red.url}/flows`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
        body: JSON.stringify(flows),
      });
      expect(deploy.status).toBe(204);
      // A deploy answers before the new flows have started; the inject node is there once they have.
      await waitFor(
        async () => (await fetch(`${red.url}/inject/in1`, { method: 'POST' })).status === 200,
        30_000,
        'the deployed inject node',
      );
      // Three outcomes in the log: the pull worked (its file is there), the missing image and the wrong secret failed.
      await waitFor(
        async () => (await scanForSecrets([], {}, [join(red.userDir, 'good', 'storage')])).files > 0,
        30_000,
        `the pull to store its image; Node-RED said:\n${red.output().slice(-3000)}`,
      );
      await waitFor(
        () => (red.output().match(/\[sregistry-pull:/g) ?? []).length >= 2 && red.output(),
        30_000,
        'both failures in the log',
      );
      const exported = await (await fetch(`${red.url}/flows`, { headers: { Accept: 'application/json' } })).text();
      const scan = await scanForSecrets(secrets(), { 'GET /flows': exported, 'Node-RED log': red.output() }, [
        red.userDir,
      ]);
      countSecretsScan('Node-RED: flow export, userDir, log', {
        files: scan.files,
        bytes: scan.bytes,
        hits: scan.hits.length,
      });
      expect(scan.hits).toEqual([]);
      expect(exported).toContain('sregistry-globus-client');
    } finally {
      await red.stop();
    }
  }, 120_000);
});
