/**
 * A pull killed with SIGKILL mid-download leaves its hidden `.sregistry-*.partial` in
 * local storage; a later pull sweeps it once it is over a day old and leaves a fresh one
 * (another download may be writing it) alone. Real CLI processes, a sandbox whose image
 * GET is cut after 64 KiB and then held, so the kill lands with bytes on disk.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFile, readdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSif } from '../../src/core/sif.js';
import { watchChild } from '../support/child.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { countKill } from '../reliability/ledger.js';
import { assertBuilt, BIN, Cli, REPO, sandboxEnv } from './support.js';

const PARTIAL = /^\.sregistry-[0-9a-f-]{36}\.partial$/;

describe('sregistry-globus pull killed mid-download', () => {
  let sb: TestSandbox;
  let cli: Cli;
  let env: NodeJS.ProcessEnv;
  let uri: string;

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox();
    env = await sandboxEnv(sb);
    cli = new Cli(env);
    const file = join(sb.tmp, 'big.sif');
    await writeSif(file, { payloadBytes: Buffer.alloc(1 << 20, 3) });
    uri = `globus://${sb.collection.id}/lab/big:v1`;
    const pushed = await cli.run(['push', file, uri]);
    expect(pushed.code).toBe(0);
  });
  afterAll(() => sb.stop());

  const folder = () => join(String(env.SREGISTRY_STORAGE), 'lab', 'big');
  const partials = async () => (await readdir(folder()).catch(() => [] as string[])).filter((n) => PARTIAL.test(n));

  it('leaves a partial that a later pull removes once it is a day old, keeping a fresh one', async () => {
    sb.context.faults.add({
      match: { origin: sb.collection.id, method: 'GET', path: '\\.sif$' },
      action: { kind: 'reset', afterBytes: 65536 },
    });
    sb.context.faults.add({
      match: { origin: sb.collection.id, method: 'GET', path: '\\.sif$' },
      action: { kind: 'delay', ms: 60_000 },
      times: 10,
    });
    const child = watchChild(process.execPath, [BIN, 'pull', uri, '--transport', 'https'], { cwd: REPO, env });
    const until = Date.now() + 30_000;
    let written = 0;
    while (written === 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      for (const name of await partials()) written = Math.max(written, (await stat(join(folder(), name))).size);
    }
    expect(written).toBeGreaterThan(0);
    child.child.kill('SIGKILL');
    const end = await child.exited;
    expect(end.code).toBeNull();
    countKill('pull', 'https');
    sb.context.faults.clear();

    const [left] = await partials();
    expect(left).toBeDefined();
    expect((await stat(join(folder(), left!))).size).toBeGreaterThan(0);
    // A fresh partial, as a download running in another process would have.
    const fresh = '.sregistry-00000000-0000-4000-8000-000000000000.partial';
    await copyFile(join(folder(), left!), join(folder(), fresh));
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    await utimes(join(folder(), left!), twoDaysAgo, twoDaysAgo);

    const again = await cli.run(['pull', uri, '--transport', 'https']);
    expect(again.code).toBe(0);
    expect(await partials()).toEqual([fresh]);
    expect((await readdir(folder())).filter((n) => n.endsWith('.sif'))).toHaveLength(1);
    expect(again.stderr).toMatch(/removed 1 temporary file\(s\) over a day old/);
  });
});
