/** Registry.watch against the sandbox: what it reports, what it remembers, the calls it makes. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { writeSif } from '../../../src/core/sif.js';
import { readSigningKey } from '../../../src/core/signing/openpgp.js';
import { signSifFile } from '../../../src/core/signing/sign.js';
import type { Watch, WatchEvent, WatchState } from '../../../src/core/registry/operations/watch.js';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { caught } from '../../support/errors.js';
import { closeCoreAndSandbox } from '../../support/lifecycle.js';
import { waitFor } from '../../support/wait.js';
import { callSummary, logIndex, makeRegistry, randomFile, requests } from './support.js';

let sb: TestSandbox;
beforeAll(async () => {
  sb = await startTestSandbox();
});
afterAll(() => closeCoreAndSandbox(sb));

const uri = (rest: string): string => `globus://${sb.collection.id}/${rest}`;

/** Consumes a watch in the background, keeping its events. */
function pump(watch: Watch): { events: WatchEvent[]; done: Promise<void> } {
  const events: WatchEvent[] = [];
  const done = (async () => {
    for await (const e of watch) events.push(e);
  })();
  return { events, done };
}

const ofType = <T extends WatchEvent['type']>(events: WatchEvent[], type: T): Array<Extract<WatchEvent, { type: T }>> =>
  events.filter((e): e is Extract<WatchEvent, { type: T }> => e.type === type);

/** All events of one check (once: true). */
async function once(watch: Watch): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  for await (const e of watch) out.push(e);
  return out;
}

const lastState = (events: WatchEvent[]): WatchState => events[events.length - 1]!.state;

describe('Registry.watch', () => {
  it('reports nothing already there on a first check, then each new version once, all its tags in one event', async () => {
    const h = makeRegistry(sb, 'https', {}, 'w-live');
    await h.registry.push(await randomFile(sb, 'live-1.bin'), uri('live/app:v1'));
    const controller = new AbortController();
    const { events, done } = pump(h.registry.watch(uri('live/app'), { intervalMs: 1000, signal: controller.signal }));
    await waitFor(() => ofType(events, 'check').length >= 1, 'the first check', { boundMs: 20_000 });
    expect(ofType(events, 'version')).toHaveLength(0);
    const [pushed] = await h.registry.push(await randomFile(sb, 'live-2.bin'), uri('live/app:v2'), {
      tags: ['latest'],
    });
    await waitFor(() => ofType(events, 'version').length >= 1, 'the new version', { boundMs: 20_000 });
    const checks = ofType(events, 'check').length;
    await waitFor(() => ofType(events, 'check').length >= checks + 1, 'one more check', { boundMs: 20_000 });
    controller.abort();
    await done;
    const versions = ofType(events, 'version');
    expect(versions).toHaveLength(1);
    const v = versions[0]!.version;
    expect(v.version).toBe(pushed!.version);
    expect(v.tags).toEqual(['latest', 'v2']);
    expect(v.tag).toBe('latest');
    expect(v.uri).toBe(`globus://${sb.collection.id}/live/app:latest@${pushed!.version}`);
    expect(v.size).toBe(64 * 1024);
    expect(Number.isNaN(Date.parse(v.created ?? ''))).toBe(false);
    expect(v.webUrl).toContain(encodeURIComponent('/shub/live/app/'));
    expect(ofType(events, 'error')).toHaveLength(0);
    expect(lastState(events).seen['live/app']?.sort()).toEqual(
      [pushed!.version, (await h.registry.resolve(uri('live/app:v1'))).version].sort(),
    );
    await h.registry.close();
  }, 60_000);

  it('makes one ls per watched folder per check, checks no faster than the interval, and stops at once on abort', async () => {
    const h = makeRegistry(sb, 'https', {}, 'w-calls');
    for (const n of ['a', 'b', 'c'])
      await h.registry.push(await randomFile(sb, `calls-${n}.bin`), uri(`callcount/${n}:v1`));
    const watcher = makeRegistry(sb, 'https', {}, 'w-calls-watcher');
    const since = logIndex(sb);
    const controller = new AbortController();
    const watch = watcher.registry.watch(uri('callcount'), { intervalMs: 1000, signal: controller.signal });
    const { events, done } = pump(watch);
    await waitFor(() => ofType(events, 'check').length >= 3, 'three checks', { boundMs: 30_000 });
    controller.abort();
    const abortedAt = Date.now();
    await done;
    expect(Date.now() - abortedAt).toBeLessThan(900);
    const calls = callSummary(requests(sb, since));
    const checks = ofType(events, 'check');
    // A fresh Registry looks up the endpoint and the marker once, then keeps them.
    expect(calls.filter((c) => c === 'GET endpoint')).toHaveLength(1);
    expect(calls.filter((c) => c === 'GET stat')).toHaveLength(1);
    // Per check: the collection folder and each of its three names.
    expect(calls.filter((c) => c === 'GET ls')).toHaveLength(checks.length * 4);
    expect(calls.filter((c) => !['GET endpoint', 'GET stat', 'GET ls'].includes(c))).toEqual([]);
    const starts = checks.map((c) => Date.parse(c.at));
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(1000);
    for (const c of checks) expect(c).toMatchObject({ folders: 3, failed: 0, found: 0 });
    await watcher.registry.close();
    await h.registry.close();
  }, 60_000);

  it('reports what is there with fromStart, and a restored state repeats nothing', async () => {
    const h = makeRegistry(sb, 'https', {}, 'w-start');
    const [x] = await h.registry.push(await randomFile(sb, 'start-x.bin'), uri('start/x:v1'));
    const [y] = await h.registry.push(await randomFile(sb, 'start-y.bin'), uri('start/y:v1'));
    const first = await once(h.registry.watch(uri('start'), { once: true, fromStart: true }));
    expect(ofType(first, 'version').map((e) => e.version.version)).toEqual([x!.version, y!.version]);
    const again = await once(h.registry.watch(uri('start'), { once: true, state: lastState(first) }));
    expect(ofType(again, 'version')).toHaveLength(0);
    // A name that appears after the first check is new as a whole.
    const [z] = await h.registry.push(await randomFile(sb, 'start-z.bin'), uri('start/z:v1'));
    const third = await once(
      h.registry.watch(uri('start'), { once: true, state: JSON.parse(JSON.stringify(lastState(again))) }),
    );
    expect(ofType(third, 'version').map((e) => e.version.uri)).toEqual([z!.uri]);
    await h.registry.close();
  });

  it('watches one tag: other tags are not its versions', async () => {
    const h = makeRegistry(sb, 'https', {}, 'w-tag');
    await h.registry.push(await randomFile(sb, 'tag-1.bin'), uri('tagged/app:stable'));
    const first = await once(h.registry.watch(uri('tagged/app:stable'), { once: true }));
    expect(ofType(first, 'version')).toHaveLength(0);
    await h.registry.push(await randomFile(sb, 'tag-2.bin'), uri('tagged/app:nightly'));
    const second = await once(h.registry.watch(uri('tagged/app:stable'), { once: true, state: lastState(first) }));
    expect(ofType(second, 'version')).toHaveLength(0);
    const [stable] = await h.registry.push(await randomFile(sb, 'tag-3.bin'), uri('tagged/app:stable'), {
      tags: ['prod'],
    });
    const third = await once(h.registry.watch(uri('tagged/app:stable'), { once: true, state: lastState(second) }));
    expect(ofType(third, 'version').map((e) => [e.version.uri, e.version.tags])).toEqual([
      [`globus://${sb.collection.id}/tagged/app:stable@${stable!.version}`, ['stable']],
    ]);
    await h.registry.close();
  });

  it('pulls a new version before reporting it: the file is in storage and recorded', async () => {
    const h = makeRegistry(sb, 'https', {}, 'w-pull');
    const first = await once(h.registry.watch(uri('pulled/app'), { once: true }));
    expect(lastState(first).seen).toEqual({ 'pulled/app': [] });
    const [pushed] = await h.registry.push(await randomFile(sb, 'pull-1.bin', 100_000), uri('pulled/app:v1'));
    const events = await once(h.registry.watch(uri('pulled/app'), { once: true, pull: true, state: lastState(first) }));
    const [v] = ofType(events, 'version');
    expect(v?.version.status).toBe('pulled');
    expect(v?.version.image).toBeDefined();
    expect(existsSync(v!.version.image!)).toBe(true);
    expect(statSync(v!.version.image!).size).toBe(100_000);
    expect((await h.registry.inspect(`pulled/app:v1@${pushed!.version}`))?.image).toBe(v!.version.image);
    await h.registry.close();
  });

  it('with --pull, a version the signature policy refuses is downloaded and reported once, not at every check; a new version is tried', async () => {
    const make = async (name: string) =>
      openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name }], format: 'armored' });
    const [trusted, stranger] = await Promise.all([make('Lab CI'), make('Someone Else')]);
    const signed = async (file: string, armored: string): Promise<string> => {
      const plain = join(sb.tmp, 'files', `${file}.plain.sif`);
      await writeSif(plain, { payloadBytes: randomBytes(80_000), created: new Date(0) });
      const out = join(sb.tmp, 'files', `${file}.sif`);
      await signSifFile(plain, out, await readSigningKey(armored, undefined, 'test key'));
      return out;
    };
    const h = makeRegistry(sb, 'https', { keyring: [trusted.publicKey] }, 'w-refuse');
    const [unsigned] = await h.registry.push(await randomFile(sb, 'refuse-1.bin', 70_000), uri('refuse/app:latest'));
    const imageGets = (version: string, since: number): number =>
      requests(sb, since).filter(
        (r) => r.origin === 'https' && r.method === 'GET' && r.path.includes(version) && r.path.endsWith('.sif'),
      ).length;
    const since = logIndex(sb);
    const controller = new AbortController();
    const { events, done } = pump(
      h.registry.watch(uri('refuse/app'), {
        intervalMs: 1000,
        signal: controller.signal,
        pull: true,
        verify: 'required',
        fromStart: true,
      }),
    );
    const checksAfter = async (n: number, what: string): Promise<void> => {
      const at = ofType(events, 'check').length;
      await waitFor(() => ofType(events, 'check').length >= at + n, what, { boundMs: 30_000 });
    };
    let untrusted: { version: string } | undefined;
    let good: { version: string } | undefined;
    try {
      await checksAfter(3, 'three checks of an unsigned version');
      expect(ofType(events, 'error').map((e) => e.error.code)).toEqual(['UNSIGNED']);
      expect(imageGets(unsigned!.version, since)).toBe(1);
      expect(ofType(events, 'version')).toHaveLength(0);

      // The tag moves to an image signed by a key outside the keyring: a new version, tried once.
      [untrusted] = await h.registry.push(await signed('refuse-2', stranger.privateKey), uri('refuse/app:latest'));
      await waitFor(() => ofType(events, 'error').length >= 2, 'the second refusal', { boundMs: 30_000 });
      await checksAfter(2, 'two more checks');
      expect(ofType(events, 'error').map((e) => e.error.code)).toEqual(['UNSIGNED', 'UNTRUSTED_SIGNER']);
      expect(ofType(events, 'error')[1]!.error.message).toContain(untrusted!.version.slice(0, 12));
      expect(imageGets(untrusted!.version, since)).toBe(1);
      expect(imageGets(unsigned!.version, since)).toBe(1);

      // A version the keyring's key signed is pulled and reported; the refused ones stay refused.
      [good] = await h.registry.push(await signed('refuse-3', trusted.privateKey), uri('refuse/app:latest'));
      await waitFor(() => ofType(events, 'version').length >= 1, 'the signed version', { boundMs: 30_000 });
      await checksAfter(1, 'one more check');
    } finally {
      controller.abort();
      await done;
    }
    const [v] = ofType(events, 'version');
    expect(v!.version.version).toBe(good!.version);
    expect(v!.version.status).toBe('pulled');
    expect(v!.version.signatures?.status).toBe('verified');
    expect(ofType(events, 'version')).toHaveLength(1);
    expect(ofType(events, 'error')).toHaveLength(2);
    expect([unsigned!.version, untrusted!.version, good!.version].map((x) => imageGets(x, since))).toEqual([1, 1, 1]);
    // Refused versions are not marked seen: a new watch (another run) tries them again.
    expect(lastState(events).seen['refuse/app']).toEqual([good!.version]);
    await h.registry.close();
  }, 90_000);

  it('with --pull, a refused stored copy is not remembered as a refused version: once the copy is right, the version is reported', async () => {
    const key = await openpgp.generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ name: 'Lab CI' }],
      format: 'armored',
    });
    await mkdir(join(sb.tmp, 'files'), { recursive: true });
    const plain = join(sb.tmp, 'files', 'stored-copy.plain.sif');
    await writeSif(plain, { payloadBytes: randomBytes(80_000), created: new Date(0) });
    const file = join(sb.tmp, 'files', 'stored-copy.sif');
    await signSifFile(plain, file, await readSigningKey(key.privateKey, undefined, 'test key'));
    const h = makeRegistry(sb, 'https', { keyring: [key.publicKey] }, 'w-stored');
    const [pushed] = await h.registry.push(file, uri('stored/app:latest'));
    const stored = (await h.registry.pull(uri('stored/app:latest'), { verify: 'required' })).image!;
    // The stored copy is damaged in place (same size): a pull refuses it without downloading.
    const bytes = await readFile(stored);
    bytes[bytes.length - 20_000]! ^= 0xff;
    await writeFile(stored, bytes);
    const controller = new AbortController();
    const { events, done } = pump(
      h.registry.watch(uri('stored/app'), {
        intervalMs: 1000,
        signal: controller.signal,
        pull: true,
        verify: 'required',
        fromStart: true,
      }),
    );
    try {
      await waitFor(() => ofType(events, 'error').length >= 1, 'the refusal of the stored copy', { boundMs: 30_000 });
      expect(ofType(events, 'error')[0]!.error.code).toBe('SIGNATURE_INVALID');
      expect(ofType(events, 'version')).toHaveLength(0);
      // The copy is put right: the next check pulls the version (it was not refused for good).
      await copyFile(file, stored);
      await waitFor(() => ofType(events, 'version').length >= 1, 'the version once the copy is right', {
        boundMs: 30_000,
      });
    } finally {
      controller.abort();
      await done;
    }
    const [v] = ofType(events, 'version');
    expect(v!.version.version).toBe(pushed!.version);
    expect(v!.version.signatures?.status).toBe('verified');
    await h.registry.close();
  }, 90_000);

  it("pulls by the watch's transport, over the Registry's", async () => {
    // The Registry's own choice is https; a local endpoint is set, so transfer can be asked for.
    const h = makeRegistry(sb, 'https', { localEndpoint: sb.personal.id }, 'w-pull-transfer');
    const first = await once(h.registry.watch(uri('pulled/bytask'), { once: true }));
    await h.registry.push(await randomFile(sb, 'pull-task.bin', 50_000), uri('pulled/bytask:v1'));
    const since = logIndex(sb);
    const events = await once(
      h.registry.watch(uri('pulled/bytask'), {
        once: true,
        pull: true,
        transport: 'transfer',
        state: lastState(first),
      }),
    );
    const log = requests(sb, since);
    const [v] = ofType(events, 'version');
    expect(v?.version.status).toBe('pulled');
    expect(statSync(v!.version.image!).size).toBe(50_000);
    // A Transfer task brought it: no GET of the collection's HTTPS server.
    expect(callSummary(log)).toContain('POST transfer');
    expect(log.filter((r) => r.origin === 'https' && r.method === 'GET')).toEqual([]);
    await h.registry.close();
  });

  it('rides out a 429 (the retry policy), reports a 503 that outlasts the retries, and goes on watching', async () => {
    const h = makeRegistry(sb, 'https', {}, 'w-faults');
    await h.registry.push(await randomFile(sb, 'faults-1.bin'), uri('faults/app:v1'));
    const ls = { method: 'GET', path: '/operation/endpoint/[^/]+/ls$' };
    sb.context.faults.add({
      match: ls,
      action: { kind: 'status', status: 429, code: 'RequestLimitExceeded', retryAfter: 0 },
      times: 1,
    });
    const since = logIndex(sb);
    const first = await once(h.registry.watch(uri('faults/app'), { once: true }));
    expect(ofType(first, 'error')).toHaveLength(0);
    expect(ofType(first, 'check')).toHaveLength(1);
    expect(
      requests(sb, since)
        .filter((r) => r.path.endsWith('/ls'))
        .map((r) => r.status),
    ).toEqual([429, 200]);
    // maxRetries is 2 in this harness: three 503s in a row outlast it.
    sb.context.faults.add({ match: ls, action: { kind: 'status', status: 503, code: 'ServiceUnavailable' }, times: 3 });
    const controller = new AbortController();
    const { events, done } = pump(
      h.registry.watch(uri('faults/app'), { intervalMs: 1000, signal: controller.signal, state: lastState(first) }),
    );
    await waitFor(() => ofType(events, 'check').length >= 2, 'a check after the failure', { boundMs: 20_000 });
    controller.abort();
    await done;
    expect(events[0]?.type).toBe('error');
    expect(ofType(events, 'error').map((e) => e.error.code)).toEqual(['SERVICE_UNAVAILABLE']);
    const [failedCheck, nextCheck] = ofType(events, 'check');
    expect(failedCheck).toMatchObject({ folders: 1, failed: 1, found: 0 });
    expect(nextCheck).toMatchObject({ folders: 1, failed: 0, found: 0 });
    // The failed check did not count as one that listed everything.
    expect(failedCheck!.state.lastCheck).toBe(lastState(first).lastCheck);
    expect(nextCheck!.state.lastCheck).toBe(nextCheck!.at);
    await h.registry.close();
  }, 60_000);

  it('refuses a bad target, an interval under a second and a state of another target', async () => {
    const h = makeRegistry(sb, 'https', {}, 'w-bad');
    expect(() => h.registry.watch(`globus://${sb.collection.id}`)).toThrow(
      expect.objectContaining({ code: 'INVALID_REFERENCE' }),
    );
    expect(() => h.registry.watch(uri(`x/y@${'a'.repeat(64)}`))).toThrow(
      expect.objectContaining({ code: 'INVALID_REFERENCE' }),
    );
    expect(() => h.registry.watch(uri('x/y'), { intervalMs: 999 })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    const state = lastState(await once(h.registry.watch(uri('bad/one'), { once: true })));
    expect(() => h.registry.watch(uri('bad/two'), { state })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => h.registry.watch(uri('bad/one'), { state: { ...state, seen: { 'bad/one': ['nope'] } } })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    // An endpoint that does not exist does not come right by waiting.
    const missing = h.registry.watch('globus://00000000-0000-4000-8000-00000000dead/lab', { once: true });
    const err = await caught(once(missing));
    expect(err.code).toBe('INVALID_INPUT');
    await h.registry.close();
  });
});
