import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { seedImage } from './seed.js';
import { clientConfig, clientCredentials, CLIENT_ID, filesBelow, helper, sregistryNodes, waitFor } from './support.js';

describe('sregistry pull: closing the flow during a transfer', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    // Slow Transfer tasks: a 4 MiB image at 64 KiB/s takes about a minute, far longer than the test.
    sb = await startTestSandbox((world) => {
      world.transferRate = 64 * 1024;
    });
    await seedImage(sb, 'library/big:latest', 4 * 1024 * 1024);
  });
  afterAll(() => sb.stop());

  it('aborts the task, completes the close, and leaves no partial file in storage', async () => {
    const storage = join(sb.tmp, 'storage');
    await helper.load(
      sregistryNodes,
      [
        clientConfig(sb, { transport: 'transfer', localEndpoint: sb.personal.id, storage }),
        { id: 'op', type: 'sregistry-pull', client: CLIENT_ID, image: 'library/big:latest', wires: [['out']] },
        { id: 'out', type: 'helper' },
      ],
      clientCredentials(sb),
    );
    const since = sb.context.faults.nextIndex;
    helper.getNode('op').receive({});
    await waitFor(
      // The core's first poll of its task: from then on it knows the task id to cancel.
      () =>
        sb.context.faults
          .requestsSince(since)
          .some((r) => r.method === 'GET' && /^\/v0\.10\/task\/[^/]+$/.test(r.path) && r.status === 200),
      30000,
      'the transfer task to be submitted and polled',
    );

    await helper.unload();

    // The sandbox removes its task's hidden copy once the cancel lands; give it a moment, then insist.
    const left = await waitFor(
      async () => {
        const files = await filesBelow(storage);
        return files.length === 0 ? files : undefined;
      },
      10000,
      'storage to hold no file',
    ).catch(async () => filesBelow(storage));
    expect(left).toEqual([]);
    // The core cancelled the task it had started.
    const cancels = sb.context.faults
      .requestsSince(since)
      .filter((r) => r.method === 'POST' && /^\/v0\.10\/task\/[^/]+\/cancel$/.test(r.path));
    expect(cancels.length).toBeGreaterThan(0);
  });
});
