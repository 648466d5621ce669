import { randomUUID } from 'node:crypto';
import { mkdir, readFile, stat as fsStat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { sandboxTokens, sandboxTransferClient, type Credentials } from '../../support/clients.js';
import { caught } from '../../support/errors.js';
import { collect } from '../../support/iterables.js';
import { closeCoreAndSandbox, resetFaults } from '../../support/lifecycle.js';
import { addCollectionUser, extraEndpoint, mappedCollection, newClient } from '../../support/worlds.js';
import type { ApiCall } from '../../../src/core/http/index.js';
import { TRANSFER_SCOPE } from '../../../src/core/auth/index.js';
import type { TransferApi, TransferClientOptions } from '../../../src/core/transfer/index.js';
import * as transfer from '../../../src/core/transfer/index.js';
import type { SandboxClient } from '../../../src/sandbox/model.js';
import { requestsTo } from '../http-support.js';

// rateLimitWindowMs: a 429 without Retry-After waits 20 ms here, not Globus's 10 s window.
const FAST = { baseDelayMs: 1, rateLimitWindowMs: 20 };
const BULK = 1005;

describe('core Transfer client: endpoints, operations, tokens', () => {
  let sb: TestSandbox;
  let reader: SandboxClient;
  const mappedId = randomUUID();
  const calls: ApiCall[] = [];

  const clientFor = (who: Credentials, extra: Partial<TransferClientOptions> = {}) =>
    sandboxTransferClient(sb, {
      tokens: sandboxTokens(sb, { retry: FAST }, who),
      retry: FAST,
      onCall: (call) => calls.push(call),
      ...extra,
    });
  let client: TransferApi;
  const root = () => sb.collection.root!;
  const ep = () => sb.collection.id;

  beforeAll(async () => {
    sb = await startTestSandbox((world, tmp) => {
      reader = newClient('reader');
      const bulkOwner = newClient('bulk-owner');
      addCollectionUser(world, reader, '/shub/');
      world.clients.push(bulkOwner);
      world.endpoints.push(
        mappedCollection(world, { id: mappedId, description: 'mapped collection that wants data_access', root: tmp }),
      );
      for (let i = 0; i < BULK; i++) {
        world.endpoints.push(
          extraEndpoint({
            displayName: `bulkep-${String(i).padStart(4, '0')}`,
            entityType: 'GCSv5_guest_collection',
            description: 'one of many public collections',
            owner: bulkOwner.id,
            public: true,
          }),
        );
      }
    });
    client = clientFor(sb.client);
    await mkdir(join(root(), 'shub'), { recursive: true });
  });
  beforeEach(() => {
    resetFaults(sb);
    calls.splice(0);
  });
  afterAll(() => closeCoreAndSandbox(sb));

  describe('endpoints', () => {
    it('gets an endpoint document', async () => {
      const doc = await transfer.getEndpoint(client, ep());
      expect(doc.DATA_TYPE).toBe('endpoint');
      expect(doc.id).toBe(ep());
      expect(doc.display_name).toBe('sandbox-collection');
      expect(doc.entity_type).toBe('GCSv5_guest_collection');
      expect(doc.https_server).toBe(sb.collection.httpsServer);
    });

    it('reports an unknown endpoint as NOT_FOUND with the request id', async () => {
      const id = randomUUID();
      const err = await caught(transfer.getEndpoint(client, id));
      expect(err.code).toBe('NOT_FOUND');
      expect(err.message).toContain(id);
      expect(err.requestId).toBeTruthy();
      expect(err.message).toContain(err.requestId!);
    });

    it('pages through a search in pages of 100 and stops at the 1000-result cap without an error', async () => {
      const found = await collect(transfer.searchEndpoints(client, { fulltext: 'bulkep' }));
      expect(found).toHaveLength(1000);
      expect(new Set(found.map((e) => e.id)).size).toBe(1000);
      expect(found.every((e) => e.display_name?.startsWith('bulkep-'))).toBe(true);
      const searches = await requestsTo(sb, '/v0.10/endpoint_search', 10);
      expect(searches).toHaveLength(10);
      expect(searches.every((s) => s.status === 200)).toBe(true);
      expect(searches.map((s) => new URLSearchParams(s.query).get('limit'))).toEqual(Array(10).fill('100'));
    });

    it('stops at the caller limit and on has_next_page false, and honours the scope', async () => {
      const some = await collect(transfer.searchEndpoints(client, { fulltext: 'bulkep', limit: 150 }));
      expect(some).toHaveLength(150);
      const asked = (await requestsTo(sb, '/v0.10/endpoint_search', 2)).map((s) =>
        new URLSearchParams(s.query).get('limit'),
      );
      expect(asked).toEqual(['100', '50']);

      sb.context.faults.clearLog();
      const mine = await collect(transfer.searchEndpoints(client, { scope: 'my-endpoints' }));
      expect(mine.map((e) => e.id).sort()).toEqual([sb.personal.id, sb.collection.id, mappedId].sort());
      expect(await requestsTo(sb, '/v0.10/endpoint_search', 1)).toHaveLength(1);
    });
  });

  describe('operations', () => {
    it('lists a folder, with filter, order and hidden files', async () => {
      const dir = join(root(), 'listing');
      await mkdir(join(dir, 'sub'), { recursive: true });
      await writeFile(join(dir, 'b.sif'), 'bb');
      await writeFile(join(dir, 'a.sif'), 'a');
      await writeFile(join(dir, '.hidden'), 'h');
      const all = await collect(transfer.ls(client, ep(), '/listing/'));
      expect(all.map((e) => e.name).sort()).toEqual(['.hidden', 'a.sif', 'b.sif', 'sub']);
      expect(all.find((e) => e.name === 'sub')?.type).toBe('dir');
      expect(all.find((e) => e.name === 'b.sif')?.size).toBe(2);

      const visible = await collect(transfer.ls(client, ep(), '/listing/', { showHidden: false }));
      expect(visible.map((e) => e.name)).not.toContain('.hidden');
      const sifs = await collect(
        transfer.ls(client, ep(), '/listing/', { filter: 'name:~*.sif', orderby: 'name DESC' }),
      );
      expect(sifs.map((e) => e.name)).toEqual(['b.sif', 'a.sif']);
    });

    it('pages through a folder of thousands of entries', async () => {
      const dir = join(root(), 'many');
      await mkdir(dir, { recursive: true });
      const count = 2500;
      for (let i = 0; i < count; i += 250) {
        await Promise.all(
          Array.from({ length: 250 }, (_, j) => writeFile(join(dir, `f${String(i + j).padStart(5, '0')}`), '')),
        );
      }
      const names = (await collect(transfer.ls(client, ep(), '/many/', { pageSize: 400, orderby: 'name ASC' }))).map(
        (e) => e.name,
      );
      expect(names).toHaveLength(count);
      expect(new Set(names).size).toBe(count);
      expect(names[0]).toBe('f00000');
      expect(names[count - 1]).toBe('f02499');
      const pages = await requestsTo(sb, `/v0.10/operation/endpoint/${ep()}/ls`, 7);
      expect(pages).toHaveLength(7);
      expect(pages.map((p) => new URLSearchParams(p.query).get('offset'))).toEqual([
        '0',
        '400',
        '800',
        '1200',
        '1600',
        '2000',
        '2400',
      ]);
    });

    it('answers NOT_FOUND for a missing folder', async () => {
      const err = await caught(collect(transfer.ls(client, ep(), '/no/such/folder/')));
      expect(err.code).toBe('NOT_FOUND');
      expect(err.message).toContain('/no/such/folder/');
    });

    it('stats a file, and gives undefined for a missing path only', async () => {
      await writeFile(join(root(), 'shub', 'one.sif'), 'hello');
      const entry = await transfer.stat(client, ep(), '/shub/one.sif');
      expect(entry?.type).toBe('file');
      expect(entry?.name).toBe('one.sif');
      expect(entry?.size).toBe(5);
      expect(await transfer.stat(client, ep(), '/shub/missing.sif')).toBeUndefined();
      const err = await caught(transfer.stat(client, randomUUID(), '/shub/one.sif'));
      expect(err.code).toBe('NOT_FOUND');
    });

    // mkdir of a folder whose parent is missing: that answer is unverified on Globus
    // (docs/globus-behaviour.md), so this runs with the sandbox's 404 variant.
    const withMissingParent404 = async (body: () => Promise<void>): Promise<void> => {
      sb.world.behaviour.mkdir_missing_parent = '404-not-found';
      try {
        await body();
      } finally {
        sb.world.behaviour.mkdir_missing_parent = '502-mkdir-failed';
      }
    };

    it('creates a folder and treats an existing one as success', () =>
      withMissingParent404(async () => {
        expect(await transfer.mkdir(client, ep(), '/made/')).toBe('created');
        expect((await fsStat(join(root(), 'made'))).isDirectory()).toBe(true);
        expect(await transfer.mkdir(client, ep(), '/made/')).toBe('exists');
        const err = await caught(transfer.mkdir(client, ep(), '/absent/parent/'));
        expect(err.code).toBe('NOT_FOUND');
      }));

    it('renames a file', async () => {
      await writeFile(join(root(), 'shub', 'old.sif'), 'content');
      await transfer.rename(client, ep(), '/shub/old.sif', '/shub/new.sif');
      expect(await readFile(join(root(), 'shub', 'new.sif'), 'utf8')).toBe('content');
      expect(await transfer.stat(client, ep(), '/shub/old.sif')).toBeUndefined();
    });

    it('reports PERMISSION_DENIED for a write on a read-only permission, naming the client', async () => {
      const other = clientFor(reader);
      await writeFile(join(root(), 'shub', 'readable.sif'), 'r');
      const names = (await collect(transfer.ls(other, ep(), '/shub/'))).map((e) => e.name);
      expect(names).toContain('readable.sif');
      const err = await caught(transfer.mkdir(other, ep(), '/shub/new-folder/'));
      expect(err.code).toBe('PERMISSION_DENIED');
      expect(err.globusCode).toBe('EndpointPermissionDenied');
      expect(err.message).toContain(`${reader.id}@clients.auth.globus.org`);
      const rename = await caught(transfer.rename(other, ep(), '/shub/readable.sif', '/shub/x.sif'));
      expect(rename.code).toBe('PERMISSION_DENIED');
    });
  });

  describe('tokens and retries', () => {
    it('renews an expired token once and carries on', async () => {
      const fresh = clientFor(sb.client);
      await transfer.getEndpoint(fresh, ep());
      expect(sb.context.tokens.expire()).toBeGreaterThan(0);
      sb.context.faults.clearLog();
      const doc = await transfer.getEndpoint(fresh, ep());
      expect(doc.id).toBe(ep());
      expect((await requestsTo(sb, `/v0.10/endpoint/${ep()}`, 2)).map((e) => e.status)).toEqual([401, 200]);
      expect((await requestsTo(sb, '/v2/oauth2/token', 1)).map((e) => e.status)).toEqual([200]);
    });

    it('asks for the required scopes on ConsentRequired, retries once, and keeps them', async () => {
      const required = `${TRANSFER_SCOPE}[*https://auth.globus.org/scopes/${mappedId}/data_access]`;
      const fresh = clientFor(sb.client);
      await transfer.getEndpoint(fresh, sb.personal.id);
      sb.context.faults.clearLog();
      sb.context.faults.add({
        match: { method: 'GET', path: `^/v0\\.10/operation/endpoint/${mappedId}/ls$` },
        action: {
          kind: 'status',
          status: 403,
          code: 'ConsentRequired',
          message: 'Missing required data_access consent',
          extra: { required_scopes: [required] },
        },
        times: 1,
      });
      const entries = await collect(transfer.ls(fresh, mappedId, '/'));
      expect(entries.map((e) => e.name)).toContain('home');
      const ls = (await requestsTo(sb, `/v0.10/operation/endpoint/${mappedId}/ls`, 2)).map((e) => e.status);
      expect(ls).toEqual([403, 200]);
      expect((await requestsTo(sb, '/v2/oauth2/token', 1)).map((e) => e.status)).toEqual([200]);
      const consented = sb.context.tokens
        .all()
        .map((t) => sb.context.tokens.active(t))
        .filter((t) => t?.scopes.includes(`https://auth.globus.org/scopes/${mappedId}/data_access`));
      expect(consented).toHaveLength(1);
      expect(fresh.scopes).toEqual([required]);

      // Later calls use the consented scopes: after expiry the renewed token still has them.
      sb.context.tokens.expire();
      await transfer.getEndpoint(fresh, mappedId);
      const newest = sb.context.tokens
        .all()
        .map((t) => sb.context.tokens.active(t))
        .filter((t) => t !== undefined);
      expect(newest).toHaveLength(1);
      expect(newest[0]!.scopes).toContain(`https://auth.globus.org/scopes/${mappedId}/data_access`);
    });

    it('retries 429 answers and reports every attempt to onCall', async () => {
      // Earlier tests expired every token: let the client renew its own first.
      await transfer.getEndpoint(client, ep());
      calls.splice(0);
      sb.context.faults.add({
        match: { method: 'GET', path: `^/v0\\.10/endpoint/${ep()}$` },
        action: { kind: 'status', status: 429 },
        times: 2,
      });
      const doc = await transfer.getEndpoint(client, ep());
      expect(doc.id).toBe(ep());
      const attempts = calls.filter((c) => c.url.endsWith(`/v0.10/endpoint/${ep()}`));
      expect(attempts.map((c) => [c.status, c.retries])).toEqual([
        [429, 0],
        [429, 1],
        [200, 2],
      ]);
      expect(attempts[0]!.method).toBe('GET');
      expect(attempts[0]!.requestId).toBeTruthy();
      expect(attempts.every((c) => c.durationMs >= 0)).toBe(true);
      const reported = JSON.stringify(calls);
      expect(reported).not.toContain('Bearer');
      expect(sb.context.tokens.all().some((token) => reported.includes(token))).toBe(false);
    });

    it('gives up with RATE_LIMITED when a 429 with Retry-After persists', async () => {
      const few = clientFor(sb.client, { retry: { ...FAST, maxRetries: 1 } });
      sb.context.faults.add({
        match: { path: `^/v0\\.10/endpoint/${ep()}$` },
        action: { kind: 'status', status: 429, retryAfter: 0 },
        times: 5,
      });
      const err = await caught(transfer.getEndpoint(few, ep()));
      expect(err.code).toBe('RATE_LIMITED');
      expect(err.message).toContain('after 1 retry');
    });

    it('waits out a 429 without Retry-After window by window, beyond the usual retries', async () => {
      const waits: number[] = [];
      const few = clientFor(sb.client, {
        retry: { ...FAST, maxRetries: 1, rateLimitWindowMs: 40, onRetry: (i) => waits.push(i.delayMs) },
      });
      sb.context.faults.add({
        match: { path: `^/v0\\.10/endpoint/${ep()}$` },
        action: { kind: 'status', status: 429 },
        times: 5,
      });
      expect((await transfer.getEndpoint(few, ep())).id).toBe(ep());
      expect(waits).toHaveLength(5);
      // One whole window (plus jitter) each time, not the short exponential backoff.
      expect(waits.every((ms) => ms >= 40 && ms <= 60)).toBe(true);
    });

    it('honours an aborted signal', async () => {
      const controller = new AbortController();
      controller.abort();
      const err = await caught(transfer.getEndpoint(client, ep(), { signal: controller.signal }));
      expect(err.code).toBe('ABORTED');
    });
  });
});
