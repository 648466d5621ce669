/**
 * sregistry-watch across a restart of a real Node-RED process whose settings name a
 * localfilesystem context store: what was seen before the restart is not sent again.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { startNodeRed, type NodeRedProcess } from './runtime.js';
import { seedImage } from './seed.js';
import { clientConfig, waitFor } from './support.js';

interface SavedState {
  lastCheck?: string;
  seen: Record<string, string[]>;
}

describe('sregistry-watch state across a Node-RED restart (localfilesystem context)', () => {
  let sb: TestSandbox;
  let red: NodeRedProcess | undefined;
  const credentialSecret = `cred-key-${randomBytes(8).toString('hex')}`;
  const settings = { contextStorage: { default: { module: 'localfilesystem', config: { flushInterval: 1 } } } };

  beforeAll(async () => {
    sb = await startTestSandbox();
  });
  afterAll(async () => {
    await red?.stop();
    await sb.stop();
  });

  /** The watch node's state as the context store wrote it to disk. */
  async function savedState(userDir: string): Promise<SavedState | undefined> {
    const dir = join(userDir, 'context');
    if (!existsSync(dir)) return undefined;
    for (const entry of await readdir(dir, { recursive: true })) {
      if (!String(entry).endsWith('watch1.json')) continue;
      const data = JSON.parse(await readFile(join(dir, String(entry)), 'utf8')) as Record<string, SavedState>;
      return data['sregistry-watch-state'];
    }
    return undefined;
  }

  const lines = async (file: string): Promise<string[]> =>
    existsSync(file) ? (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '') : [];

  it('does not send again after a restart what it sent before, and sends what came after', async () => {
    await seedImage(sb, 'lab/analysis:v1');
    red = await startNodeRed({ credentialSecret, settings });
    const userDir = red.userDir;
    const out = join(userDir, 'versions.jsonl');
    const flows = [
      { id: 'tab1', type: 'tab', label: 'Watch' },
      clientConfig(sb, {
        id: 'client1',
        database: join(sb.tmp, 'records.db'),
        credentials: { clientId: sb.client.id, clientSecret: sb.client.secret },
      }),
      {
        id: 'watch1',
        type: 'sregistry-watch',
        z: 'tab1',
        client: 'client1',
        target: 'lab/analysis',
        endpoint: '',
        interval: 1,
        pull: false,
        fromStart: false,
        store: '',
        transport: '',
        x: 150,
        y: 80,
        wires: [['file1']],
      },
      {
        id: 'file1',
        type: 'file',
        z: 'tab1',
        filename: out,
        filenameType: 'str',
        appendNewline: true,
        createDir: true,
        overwriteFile: 'false',
        encoding: 'none',
        x: 400,
        y: 80,
        wires: [[]],
      },
    ];
    const deploy = await fetch(`${red.url}/flows`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flows),
    });
    expect(deploy.status).toBe(204);
    await waitFor(async () => (await savedState(userDir))?.lastCheck, 30000, 'the first check in the context store');

    const v2 = await seedImage(sb, 'lab/analysis:v2');
    await waitFor(async () => (await lines(out)).length >= 1, 30000, 'the message for v2');
    await red.stop({ keepUserDir: true });
    const stopped = Date.now();
    red = undefined;
    expect((await savedState(userDir))?.seen['lab/analysis']).toContain(v2.version);

    // Published while Node-RED is down: only a state that survived tells it from what was there before.
    const v3 = await seedImage(sb, 'lab/analysis:v3');
    red = await startNodeRed({ credentialSecret, settings, userDir });
    await waitFor(async () => (await lines(out)).length >= 2, 30000, 'the message for v3');
    // Two more checks written to the store after that: v1 and v2 are not sent again, v3 not twice.
    const first = (await savedState(userDir))?.lastCheck;
    const second = await waitFor(
      async () => {
        const t = (await savedState(userDir))?.lastCheck;
        return t !== undefined && t !== first ? t : undefined;
      },
      30000,
      'a check after the restart',
    );
    await waitFor(
      async () => ((await savedState(userDir))?.lastCheck ?? second) !== second,
      30000,
      'a second check after the restart',
    );
    expect(Date.parse(second)).toBeGreaterThan(stopped);
    expect((await lines(out)).map((l) => (JSON.parse(l) as { version: string }).version)).toEqual([
      v2.version,
      v3.version,
    ]);
    expect(red.output()).not.toContain(sb.client.secret);
  }, 180_000);
});
