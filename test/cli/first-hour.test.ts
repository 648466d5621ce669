/**
 * What a newcomer meets in a first session: names folded to lower case said out loud,
 * short local references resolved (or their candidates listed), dry runs that state the
 * rule and the fate of the bytes, tables that fit a terminal, colour only where it may,
 * help that shows a command's own options, "did you mean", and a watch that keeps one
 * status line on a terminal. Real processes against a sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { writeSif } from '../../src/core/sif.js';
import { TABLE_WIDTH } from '../../src/cli/output.js';
import { fileSha256 } from '../support/files.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { waitFor } from '../support/wait.js';
import { assertBuilt, BIN, Cli, json, leakedSecrets, REPO, sandboxEnv } from './support.js';

const ESC = '\x1b[';
const widest = (text: string): number => Math.max(0, ...text.split('\n').map((l) => [...l].length));

describe('a first session with sregistry-globus (real process, sandbox)', () => {
  let sb: TestSandbox;
  let cli: Cli;
  let env: NodeJS.ProcessEnv;
  let n = 0;

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox();
    env = await sandboxEnv(sb);
    cli = new Cli(env);
  });
  afterAll(async () => {
    expect(leakedSecrets(cli.runs, [sb.client.secret])).toEqual([]);
    await sb.stop();
  });

  async function image(): Promise<{ file: string; sha: string }> {
    const file = join(sb.tmp, `first-${++n}.sif`);
    await writeSif(file, { labels: { n: String(n) }, payloadBytes: Buffer.alloc(16 * 1024, n) });
    return { file, sha: await fileSha256(file) };
  }

  it('a push of capitals says what it stores them as; the JSON has the lower-case tag', async () => {
    const { file } = await image();
    const remote = `globus://${sb.collection.id}/Case/App:V1`;
    const run = await cli.run(['push', file, remote, '--tag', 'Stable']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('note: pushing names and tags are lower case');
    expect(run.stderr).toContain('"Case/App:V1" as "case/app:v1"');
    expect(run.stderr).toContain('"Stable" as "stable"');
    const again = await cli.run(['push', file, remote, '--json']);
    expect(json<{ images: { tag: string; status: string }[] }>(again).images).toEqual([
      expect.objectContaining({ tag: 'v1', status: 'exists' }),
    ]);
    // Already lower case: nothing to say.
    const plain = await cli.run(['push', file, `globus://${sb.collection.id}/case/app:v1`]);
    expect(plain.stderr).not.toContain('lower case');
    // A pull of capitals says it too (the same note, made in one place); its own records, so later tests see none of it.
    const pull = await cli.run(['pull', remote], {
      ...env,
      SREGISTRY_STORAGE: join(sb.tmp, 'case-pull'),
      SREGISTRY_DATABASE: join(sb.tmp, 'case-pull-db'),
    });
    expect(pull.code).toBe(0);
    expect(pull.stderr.match(/lower case/g)).toHaveLength(1);
    expect(pull.stderr).toContain('note: pulling names and tags are lower case');
    expect(pull.stderr).toContain('"Case/App:V1" as "case/app:v1"');
  });

  it('add of capitals says so too; add of a missing file or a folder is one clean line', async () => {
    const { file } = await image();
    const added = await cli.run(['add', file, 'Local/Thing:Dev']);
    expect(added.code).toBe(0);
    expect(added.stderr).toContain('"Local/Thing:Dev" as "local/thing:dev"');
    const missing = await cli.run(['add', join(sb.tmp, 'no-such.sif'), 'lab/x:v1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^error: add \S+ lab\/x:v1: No file at \S+no-such\.sif: check the path \[NOT_FOUND\]\n$/,
    );
    const folder = await cli.run(['add', sb.tmp, 'lab/x:v1']);
    expect(folder.stderr).toMatch(/is not a regular file: give the path of an image file \[INVALID_INPUT\]\n$/);
    expect(folder.stderr).not.toMatch(/EISDIR|ENOENT/);
  });

  it('get and inspect of collection/name resolve the one local tag, and list the candidates when there are several', async () => {
    const { file, sha } = await image();
    const remote = `globus://${sb.collection.id}/resolve/app`;
    expect((await cli.run(['push', file, `${remote}:v1`, '--json'])).code).toBe(0);
    expect((await cli.run(['pull', `${remote}:v1`, '--json'])).code).toBe(0);
    const got = await cli.run(['get', 'resolve/app']);
    expect(got.code).toBe(0);
    expect(got.stdout.trim()).toMatch(new RegExp(`resolve/app/v1@${sha}\\.sif$`));
    // Without the collection too: the one collection with that name.
    const inspected = await cli.run(['inspect', 'app', '--json']);
    expect(json<{ tag: string; collection: string }>(inspected)).toMatchObject({ collection: 'resolve', tag: 'v1' });
    // A second tag: now the short reference is ambiguous, and the error lists both.
    expect((await cli.run(['record', `${remote}:v1`.replace(':v1', ':v1'), '--json'])).code).toBe(0);
    expect((await cli.run(['push', file, `${remote}:v2`, '--json'])).code).toBe(0);
    expect((await cli.run(['record', `${remote}:v2`, '--json'])).code).toBe(0);
    const ambiguous = await cli.run(['get', 'resolve/app']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(
      /fits 2 local images: resolve\/app:v\d, resolve\/app:v\d; name one of them.*\[AMBIGUOUS\]/,
    );
    expect(ambiguous.stdout).toBe('');
    // A tag written out is never guessed at.
    expect((await cli.run(['get', 'resolve/app:v9'])).stderr).toContain('[NOT_FOUND]');
  });

  it('get --help shows a working example with a tag', async () => {
    const run = await cli.run(['get', '--help']);
    expect(run.stdout).toContain('singularity run "$(sregistry-globus get lab/app:v1)"');
  });

  it('prune --dry-run states the rule, what is kept and why, and that nothing was deleted', async () => {
    const remote = `globus://${sb.collection.id}/prune/app`;
    for (const tag of ['v1', 'v2', 'v3']) {
      const { file } = await image();
      expect((await cli.run(['push', file, `${remote}:${tag}`, '--json'])).code).toBe(0);
    }
    const run = await cli.run(['prune', remote, '--keep', '2', '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('nothing to prune: nothing would be deleted');
    expect(run.stdout).toContain('would keep 3 versions: 3 named by a tag, 0 more as the newest');
    expect(run.stdout).toMatch(/prune\/app@[0-9a-f]{12} {2}tagged v1/);
    expect(run.stdout).toContain(
      'The rule: every version a tag names now is kept, then the newest 2 others of each name (--keep)',
    );
    expect(run.stdout).toContain('dry run: nothing was deleted.');
  });

  it('delete --dry-run says for each version whether its bytes go', async () => {
    const { file } = await image();
    const remote = `globus://${sb.collection.id}/del/app`;
    expect((await cli.run(['push', file, `${remote}:v1`, '--tag', 'latest', '--json'])).code).toBe(0);
    const { file: other } = await image();
    expect((await cli.run(['push', other, `${remote}:solo`, '--json'])).code).toBe(0);
    const shared = await cli.run(['delete', `${remote}:v1`, '--dry-run']);
    expect(shared.stdout).toMatch(
      /^would delete \S+del\/app:v1@[0-9a-f]{64}: its manifest only; the image file stays, still tagged latest$/m,
    );
    expect(shared.stdout).toContain('dry run: nothing was deleted.');
    const alone = await cli.run(['delete', `${remote}:solo`, '--dry-run', '--json']);
    expect(json<{ imageFiles: unknown[]; dryRun: boolean }>(alone)).toMatchObject({
      dryRun: true,
      imageFiles: [{ version: expect.any(String), deleted: true, keptFor: [] }],
    });
    const aloneText = await cli.run(['delete', `${remote}:solo`, '--dry-run']);
    expect(aloneText.stdout).toMatch(/: its manifest and its image file \(the bytes\)$/m);
  });

  it('search without --endpoint that finds nothing says how to list a registry', async () => {
    const run = await cli.run(['search', 'no-such-thing-anywhere']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Without --endpoint, search looks for endpoints');
    expect(run.stdout).toContain(
      'sregistry-globus search no-such-thing-anywhere --endpoint <collection UUID or display name>',
    );
  });

  it('tables fit in 120 columns with sizes right-aligned, one time format with its zone, full values in -F unix', async () => {
    const long = `globus://${sb.collection.id}/a-rather-long-collection-name/an-image-with-a-long-name-too`;
    const { file, sha } = await image();
    const pushed = await cli.run(['push', file, `${long}:release-candidate-2026-12`, '--tag', 'latest']);
    expect(widest(pushed.stdout)).toBeLessThanOrEqual(TABLE_WIDTH);
    expect(pushed.stdout).toContain('(full versions and URIs: -F json or -F unix)');
    for (const tag of ['release-candidate-2026-12', 'latest'])
      expect((await cli.run(['pull', `${long}:${tag}`, '--json'])).code).toBe(0);
    const search = await cli.run(['search', 'an-image', '--endpoint', sb.collection.id]);
    expect(widest(search.stdout)).toBeLessThanOrEqual(TABLE_WIDTH);
    const images = await cli.run(['images']);
    expect(widest(images.stdout)).toBeLessThanOrEqual(TABLE_WIDTH);
    const rows = images.stdout.trim().split('\n');
    const header = rows[0]!;
    expect(header).toMatch(/^IMAGE +VERSION +CREATED +FILE$/);
    // One time format, with its zone, in every table.
    expect(images.stdout).toMatch(/ \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC /);
    expect(search.stdout).toMatch(/ \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/m);
    // SIZE right-aligned: each size ends where the header's SIZE ends.
    const lines = search.stdout.split('\n');
    const end = lines[0]!.indexOf('SIZE') + 'SIZE'.length;
    for (const line of lines.slice(1).filter((l) => /KiB|MiB| B /.test(l)))
      expect(line.slice(0, end)).toMatch(/(KiB|MiB| B)$/);
    // The full version and path are in -F unix.
    const unix = await cli.run(['images', 'an-image', '-F', 'unix']);
    expect(unix.stdout).toContain(sha);
  });

  it('colour only on a terminal, never with NO_COLOR, always with FORCE_COLOR', async () => {
    const piped = await cli.run(['images']);
    expect(piped.stdout).not.toContain(ESC);
    const forced = await cli.run(['images'], { ...env, FORCE_COLOR: '1' });
    expect(forced.stdout).toContain(`${ESC}1mIMAGE`);
    const tty = await cli.runInTerminal(['images']);
    expect(tty.stdout).toContain(`${ESC}1mIMAGE`);
    const refused = await cli.runInTerminal(['images'], { ...env, NO_COLOR: '1' });
    expect(refused.stdout).toContain('IMAGE');
    expect(refused.stdout).not.toContain(`${ESC}1m`);
    const error = await cli.run(['psuh'], { ...env, FORCE_COLOR: '1' });
    expect(error.stderr.startsWith(`${ESC}31merror:`)).toBe(true);
  });

  it('watch on a terminal updates one status line instead of adding a line per check', async () => {
    const remote = `globus://${sb.collection.id}/watch-tty/app`;
    const { file } = await image();
    expect((await cli.run(['push', file, `${remote}:v1`, '--json'])).code).toBe(0);
    const command = [process.execPath, BIN, 'watch', remote, '--interval', '1'].map((s) => `'${s}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: REPO,
      env: { ...env, TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    try {
      await waitFor(() => (screen.match(/watching: \d+ checks?/g) ?? []).length >= 3, 'three status updates', {
        boundMs: 30_000,
      });
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    expect(screen).toMatch(
      /\rwatching: 3 checks, the last at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC \(1 folder\); 0 new versions so far/,
    );
    expect(screen).toContain(`so far${ESC}K`);
    expect(screen).not.toContain('checked 1 folder');
  });
});
