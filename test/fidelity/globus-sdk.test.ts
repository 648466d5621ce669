/**
 * A client nobody here wrote: the official @globus/sdk, pointed at the sandbox through the
 * same environment variables it reads for any Globus environment.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { basicAuth } from '../support/tokens.js';
import { pollUntil } from '../support/wait.js';
import { TRANSFER_SCOPE, collectionScope } from '../../src/sandbox/model.js';

type Json = Record<string, unknown> & { DATA?: Record<string, unknown>[] };

describe('@globus/sdk against the sandbox', () => {
  let sb: TestSandbox;
  let sdk: typeof import('@globus/sdk');
  let headers: Record<string, string>;
  const saved = { ...process.env };

  beforeAll(async () => {
    sb = await startTestSandbox();
    process.env.GLOBUS_SDK_SERVICE_URL_AUTH = sb.url;
    process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = sb.url;
    sdk = await import('@globus/sdk');
  });
  afterAll(async () => {
    process.env = saved;
    await sb.stop();
  });

  const ok = async (res: Response): Promise<Json> => {
    const text = await res.text();
    if (!res.ok) throw new Error(`${res.status} ${text}`);
    return JSON.parse(text) as Json;
  };

  it('gets a client_credentials token with transfer and collection scopes', async () => {
    const scope = `${TRANSFER_SCOPE} ${collectionScope(sb.collection.id, 'https')}`;
    const res = await sdk.auth.oauth2.token.token({
      payload: { grant_type: 'client_credentials', scope } as never,
      headers: { Authorization: basicAuth(sb.client.id, sb.client.secret) },
    });
    const body = await ok(res);
    expect(body.resource_server).toBe('transfer.api.globus.org');
    expect(body.token_type).toBe('Bearer');
    const others = body.other_tokens as Json[];
    expect(others.map((t) => t.resource_server)).toEqual([sb.collection.id]);
    headers = { Authorization: `Bearer ${String(body.access_token)}` };
    (globalThis as Record<string, unknown>).__httpsToken = others[0]!.access_token;
  });

  it('searches endpoints and reads one', async () => {
    const found = await ok(
      await sdk.transfer.endpointSearch({
        query: { filter_fulltext: 'sandbox', filter_scope: 'my-endpoints' },
        headers,
      }),
    );
    expect(found.DATA_TYPE).toBe('endpoint_list');
    const ids = (found.DATA ?? []).map((e) => e.id);
    expect(ids).toEqual(expect.arrayContaining([sb.collection.id, sb.personal.id]));
    const ep = await ok(await sdk.transfer.endpoint.get(sb.collection.id, { headers }));
    expect(ep.https_server).toBe(sb.collection.httpsServer);
  });

  it('makes a folder, lists it and stats a file', async () => {
    const made = await ok(
      await sdk.transfer.fileOperations.mkdir(sb.collection.id, {
        payload: { DATA_TYPE: 'mkdir', path: '/sdk/' } as never,
        headers,
      }),
    );
    expect(made.code).toBe('DirectoryCreated');
    await writeFile(join(sb.collection.root!, 'sdk', 'hello.txt'), 'hello from the sandbox\n');
    const listing = await ok(
      await sdk.transfer.fileOperations.ls(sb.collection.id, { query: { path: '/sdk/' }, headers }),
    );
    expect(listing.DATA_TYPE).toBe('file_list');
    expect((listing.DATA ?? []).map((f) => f.name)).toEqual(['hello.txt']);
    const stat = await ok(
      await sdk.transfer.fileOperations.stat(sb.collection.id, { query: { path: '/sdk/hello.txt' }, headers }),
    );
    expect(stat.size).toBe(23);
  });

  it('submits a transfer, waits for it, reads its events, then deletes', async () => {
    const { value: submissionId } = await ok(await sdk.transfer.taskSubmission.submissionId({ headers }));
    const dest = join(sb.tmp, 'sdk-copy.txt');
    const accepted = await ok(
      await sdk.transfer.taskSubmission.submitTransfer({
        payload: {
          submission_id: String(submissionId),
          source_endpoint: sb.collection.id,
          destination_endpoint: sb.personal.id,
          sync_level: 3,
          verify_checksum: true,
          DATA: [{ DATA_TYPE: 'transfer_item', source_path: '/sdk/hello.txt', destination_path: dest }],
        },
        headers,
      }),
    );
    expect(accepted.code).toBe('Accepted');
    const taskId = String(accepted.task_id);
    const task = await pollUntil(
      async () => ok(await sdk.transfer.task.get(taskId, { headers })),
      (t) => t.status !== 'ACTIVE',
      `task ${taskId} to end`,
      {
        boundMs: 30_000,
        everyMs: 50,
      },
    );
    expect(task.status).toBe('SUCCEEDED');
    expect(await readFile(dest, 'utf8')).toBe('hello from the sandbox\n');
    const events = await ok(await sdk.transfer.task.getEventList(taskId, { headers }));
    expect(events.DATA_TYPE).toBe('event_list');

    const { value: deleteId } = await ok(await sdk.transfer.taskSubmission.submissionId({ headers }));
    const del = await ok(
      await sdk.transfer.taskSubmission.submitDelete({
        payload: {
          submission_id: String(deleteId),
          endpoint: sb.collection.id,
          DATA: [{ DATA_TYPE: 'delete_item', path: '/sdk/hello.txt' }],
        },
        headers,
      }),
    );
    expect(del.code).toBe('Accepted');
  });

  it('downloads through the collection HTTPS server with the GCS client', async () => {
    await writeFile(join(sb.collection.root!, 'sdk', 'over-https.txt'), 'bytes over https');
    const token = String((globalThis as Record<string, unknown>).__httpsToken);
    const res = await sdk.gcs.https.get(
      { host: sb.collection.httpsServer!, endpoint_id: sb.collection.id } as never,
      '/sdk/over-https.txt',
      {
        headers: { Authorization: `Bearer ${token}` },
      },
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('bytes over https');
  });
});
