/** Per-call hooks and aborts that race a task submission. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ProgressEvent, RegistryEvent } from '../../../src/core/registry/types.js';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { failure } from '../../support/errors.js';
import { closeCoreAndSandbox } from '../../support/lifecycle.js';
import { waitFor } from '../../support/wait.js';
import { makeRegistry, randomFile } from './support.js';

let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(() => closeCoreAndSandbox(sb));

const uri = (rest: string): string => `globus://${sb.collection.id}/calls/${rest}`;

describe('registry calls', () => {
  it('routes progress and events of concurrent calls on one Registry to each call’s own hooks', async () => {
    const h = makeRegistry(sb, 'https', {}, 'hooks');
    await h.registry.push(await randomFile(sb, 'one.bin', 300 * 1024), uri('one'));
    await h.registry.push(await randomFile(sb, 'two.bin', 200 * 1024), uri('two'));
    const seen: Record<string, { progress: ProgressEvent[]; events: RegistryEvent[] }> = {
      one: { progress: [], events: [] },
      two: { progress: [], events: [] },
    };
    const before = h.events.length;
    await Promise.all(
      (['one', 'two'] as const).map((name) =>
        h.registry.pull(uri(name), {
          onProgress: (p) => seen[name]!.progress.push(p),
          onEvent: (e) => seen[name]!.events.push(e),
        }),
      ),
    );
    for (const name of ['one', 'two'] as const) {
      const images = new Set(seen[name]!.progress.map((p) => p.image));
      expect([...images]).toEqual([`calls/${name}:latest`]);
      const calls = seen[name]!.events.filter((e) => e.type === 'call').map((e) =>
        e.type === 'call' ? e.call.url : '',
      );
      expect(calls.some((u) => u.includes(`/calls/${name}/`))).toBe(true);
      expect(calls.some((u) => u.includes(`/calls/${name === 'one' ? 'two' : 'one'}/`))).toBe(false);
    }
    // The Registry-wide hook still sees everything.
    expect(h.events.length - before).toBe(seen.one!.events.length + seen.two!.events.length);
    await h.registry.close();
  });

  it.each(['https', 'transfer'] as const)(
    'sweeps hidden uploads that dead pushes left a day ago, over %s, and leaves younger ones',
    async (transport) => {
      const h = makeRegistry(sb, transport, {}, `sweep-${transport}`);
      const name = `sweep-${transport}`;
      await h.registry.push(await randomFile(sb, `${name}-1.bin`), uri(`${name}:one`));
      const folder = join(sb.collection.root!, 'shub', 'calls', name);
      const stale = join(folder, `.one@upload-${randomUUID()}.partial`);
      const young = join(folder, `.two@upload-${randomUUID()}.partial`);
      await writeFile(stale, 'left by a push that died');
      await writeFile(young, 'a push still uploading');
      const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
      await utimes(stale, twoDaysAgo, twoDaysAgo);
      await h.registry.push(await randomFile(sb, `${name}-2.bin`), uri(`${name}:two`));
      const left = await readdir(folder);
      expect(left).not.toContain(basename(stale));
      expect(left).toContain(basename(young));
      expect(left.filter((f) => f.endsWith('.sif'))).toHaveLength(2);
      await h.registry.close();
    },
  );

  it('cancels the task when the abort comes while the submission is on its way', async () => {
    const h = makeRegistry(sb, 'transfer', {}, 'race');
    const file = await randomFile(sb, 'race.bin');
    // Hold the submission's answer so the abort lands between request and answer.
    sb.context.faults.add({
      match: { method: 'POST', path: '^/v0\\.10/transfer$' },
      action: { kind: 'delay', ms: 400 },
      times: 1,
    });
    const since = sb.context.faults.nextIndex;
    const controller = new AbortController();
    const pushing = h.registry.push(file, uri('race'), { signal: controller.signal });
    await waitFor(
      () => sb.context.faults.requestsSince(since).some((r) => r.method === 'POST' && r.path === '/v0.10/transfer'),
      'the transfer submission',
    );
    controller.abort();
    const err = await failure(pushing);
    expect(err.code).toBe('ABORTED');
    const cancels = sb.context.faults
      .requestsSince(since)
      .filter((r) => r.method === 'POST' && /\/cancel$/.test(r.path));
    expect(cancels.length).toBeGreaterThanOrEqual(1);
    await h.registry.close();
  });
});
