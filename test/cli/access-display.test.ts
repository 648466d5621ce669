/**
 * What Globus says about a collection and its rules reaches the terminal escaped: a
 * display name or rule path holding terminal escapes, bidi overrides or line breaks is
 * shown with them visible, by `access list`, `grant`, `revoke` and `doctor` run as processes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { newClient } from '../support/worlds.js';
import { assertBuilt, Cli, sandboxEnv, type CliRun } from './support.js';

const HOSTILE_NAME = 'evil\u001b[2J\u202ecol\nfake: ok';
const HOSTILE_PATH = '/shub/x\u001b]0;owned\u0007\u2066/';

describe('server text in access and doctor output (real process, sandbox)', () => {
  let sb: TestSandbox;
  let owner: Cli;
  const reader = newClient('display-reader', 'display-reader-secret-0123456789');
  let registry: string;

  beforeAll(async () => {
    assertBuilt();
    sb = await startTestSandbox((world) => {
      world.clients.push(reader);
      const collection = world.endpoints[1]!;
      collection.displayName = HOSTILE_NAME;
      collection.permissions.push({ principalType: 'identity', principal: reader.id, path: HOSTILE_PATH, access: 'r' });
    });
    owner = new Cli(await sandboxEnv(sb));
    registry = `globus://${sb.collection.id}`;
  });
  afterAll(() => sb.stop());

  const raw = (run: CliRun): string[] => {
    const found = (run.stdout + run.stderr)
      .replace(/\n/g, '')
      // eslint-disable-next-line no-control-regex -- looking for control characters is the point
      .match(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g);
    return found ?? [];
  };

  it('access list, grant and revoke escape the display name, root, path and rule id', async () => {
    const list = await owner.run(['access', 'list', registry]);
    expect(list.code).toBe(0);
    expect(raw(list)).toEqual([]);
    expect(list.stdout).toContain('evil\\x1b[2J\\u{202e}col\\nfake: ok');
    expect(list.stdout).toContain('/shub/x\\x1b]0;owned\\x07\\u{2066}/');
    // One header line and one line per rule: nothing the server sent broke a line.
    expect(list.stdout.trimEnd().split('\n')).toHaveLength(2 + 2);

    const grant = await owner.run(['access', 'grant', registry, '--to', reader.id]);
    expect(grant.code).toBe(0);
    expect(raw(grant)).toEqual([]);
    expect(grant.stdout.trimEnd().split('\n')).toHaveLength(1);
    const id = /\(rule ([0-9a-f-]{36})\)/.exec(grant.stdout)![1]!;

    const revoke = await owner.run(['access', 'revoke', registry, id]);
    expect(revoke.code).toBe(0);
    expect(raw(revoke)).toEqual([]);
    expect(revoke.stdout).toBe(`Deleted access rule ${id} of evil\\x1b[2J\\u{202e}col\\nfake: ok\n`);
  });

  it('doctor escapes what it quotes from the server', async () => {
    const doctor = await owner.run(['doctor', registry]);
    expect(raw(doctor)).toEqual([]);
    expect(doctor.stdout).toContain('evil\\x1b[2J\\u{202e}col\\nfake: ok');
  });
});
