/**
 * Contract tests: for each recorded real Globus response, the sandbox's answer to the
 * same kind of request has every key of the real one, with the same types, DATA_TYPE
 * and code strings.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { transferToken } from '../support/tokens.js';
import { pollUntil } from '../support/wait.js';
import { mappedCollection } from '../support/worlds.js';
import { FIXTURES_DIR, loadFixtures, shapeDifferences, type FixtureEntry } from '../support/fixtures.js';
import { newClient } from '../support/worlds.js';

type Json = Record<string, unknown>;

/** Fixture requests the sandbox does not serve, because nothing in this project uses them. */
const NOT_SERVED: Array<[RegExp, string]> = [
  [/^(POST|PUT|DELETE) \/v0\.10\/(endpoint|shared_endpoint)(?!\/[^/]+\/access)/, 'endpoint administration'],
  [/^GET \/v0\.10\/endpoint\/[^/]+\/server_list$/, 'GCSv4 server lists'],
  [/^GET \/v0\.10\/task\/[^/]+\/skipped_errors$/, 'skip_source_errors reports'],
  [/^\w+ \/v2\/api\//, 'Auth identity API'],
  [
    /^(GET|DELETE) \/collections$|^DELETE \/collections\/|^\w+ \/(roles|user_credentials)/,
    'GCS Manager API beyond describing one collection',
  ],
];
/** Endpoint documents of kinds the sandbox does not model (GCSv4, GCSv5 endpoints). */
const MODELLED_TYPES = ['GCSv5_mapped_collection', 'GCSv5_guest_collection', 'GCP_mapped_collection'];

const label = (f: FixtureEntry): string => `${f.method} ${f.path}`;

/**
 * Differences the sandbox keeps on purpose. The create fixture's `access_id` is the integer
 * 12345 next to a `request_id` of "abc123", written by hand; the rule it creates has a UUID
 * `id` (the get fixture), and `access_id` is that id, so the sandbox answers a string.
 */
const KNOWN_DEPARTURES = new Set(['$.access_id: expected number, got string']);

/** globus-sdk-python's GCS Manager documents (`globus-sdk-python/gcs/`, see the fixtures' README). */
const gcsFixture = (name: string): Json =>
  JSON.parse(readFileSync(join(FIXTURES_DIR, 'globus-sdk-python', 'gcs', name), 'utf8')) as Json;
const entityType = (f: FixtureEntry): string | undefined => (f.json as Json | null)?.entity_type as string | undefined;

describe('sandbox answers have the shape of real Globus answers', () => {
  let sb: TestSandbox;
  let token: string;
  let mappedId: string;
  const fixtures = loadFixtures();
  const examples = new Map<string, Json>();
  const reader = newClient('contract-reader');
  const gcsGet = async (origin: string, path: string): Promise<Json> => {
    const res = await fetch(`${origin}/api/${path}`, { headers: { authorization: `Bearer ${token}` } });
    const json = (await res.json()) as Json;
    if (res.status !== 200) throw new Error(`GET /api/${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  const call = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${sb.url}/v0.10/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as Json;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const waitTask = (id: string): Promise<Json> =>
    pollUntil(
      () => call('GET', `task/${id}`),
      (task) => task.status !== 'ACTIVE',
      () => `task ${id} never finished`,
      { boundMs: 20_000, everyMs: 20 },
    );
  const submit = async (kind: 'transfer' | 'delete', body: Json): Promise<Json> => {
    const { value } = await call('GET', 'submission_id');
    return call('POST', kind, { ...body, submission_id: value });
  };

  beforeAll(async () => {
    mappedId = randomUUID();
    sb = await startTestSandbox((world, tmp) => {
      world.clients.push(reader);
      world.endpoints.push(
        mappedCollection(world, {
          id: mappedId,
          description: 'mapped collection for contract tests',
          root: join(tmp, 'mapped'),
          https: true,
        }),
      );
    });
    await mkdir(join(sb.tmp, 'mapped'), { recursive: true });
    token = transferToken(sb);
    const root = sb.collection.root!;
    await mkdir(join(root, 'dir', 'sub'), { recursive: true });
    await writeFile(join(root, 'dir', 'a.txt'), 'alpha');

    for (const ep of [sb.collection.id, sb.personal.id, mappedId]) {
      const doc = await call('GET', `endpoint/${ep}`);
      examples.set(`endpoint:${String(doc.entity_type)}`, doc);
    }
    examples.set('endpoint_search', await call('GET', 'endpoint_search?filter_scope=my-endpoints'));
    examples.set('ls', await call('GET', `operation/endpoint/${sb.collection.id}/ls?path=/dir/`));
    examples.set(
      'rename',
      await call('POST', `operation/endpoint/${sb.collection.id}/rename`, {
        DATA_TYPE: 'rename',
        old_path: '/dir/a.txt',
        new_path: '/dir/b.txt',
      }),
    );

    const transfer = await submit('transfer', {
      DATA_TYPE: 'transfer',
      source_endpoint: sb.collection.id,
      destination_endpoint: sb.personal.id,
      DATA: [{ DATA_TYPE: 'transfer_item', source_path: '/dir/b.txt', destination_path: join(sb.tmp, 'b.txt') }],
    });
    examples.set('transfer_result', transfer);
    examples.set('task:TRANSFER', await waitTask(String(transfer.task_id)));
    examples.set('event_list', await call('GET', `task/${String(transfer.task_id)}/event_list`));

    const del = await submit('delete', {
      DATA_TYPE: 'delete',
      endpoint: sb.collection.id,
      DATA: [{ DATA_TYPE: 'delete_item', path: '/dir/b.txt' }],
    });
    examples.set('delete_result', del);
    examples.set('task:DELETE', await waitTask(String(del.task_id)));
    examples.set('task_list', await call('GET', 'task_list'));

    const acl = `endpoint/${sb.collection.id}/access`;
    const created = await call('POST', acl, {
      DATA_TYPE: 'access',
      principal_type: 'identity',
      principal: reader.id,
      path: '/dir/',
      permissions: 'r',
      expiration_date: '2099-01-01T00:00:00+00:00',
    });
    examples.set('access_create_result', created);
    examples.set('access', await call('GET', `${acl}/${String(created.access_id)}`));
    examples.set(
      'access_update_result',
      await call('PUT', `${acl}/${String(created.access_id)}`, { DATA_TYPE: 'access', permissions: 'rw' }),
    );

    examples.set('gcs:info', await gcsGet(sb.collection.httpsServer!, 'info'));
    examples.set('gcs:guest', await gcsGet(sb.collection.httpsServer!, `collections/${sb.collection.id}`));
    const mapped = sb.world.endpoints.find((e) => e.id === mappedId)!;
    examples.set('gcs:mapped', await gcsGet(mapped.httpsServer!, `collections/${mappedId}`));
  });
  afterAll(() => sb.stop());

  /** The sandbox answer to compare a fixture with, or the reason there is none. */
  const counterpart = (f: FixtureEntry): Json | string => {
    const key = label(f);
    const notServed = NOT_SERVED.find(([re]) => re.test(key));
    if (notServed) return `not served: ${notServed[1]}`;
    if (/^GET \/v0\.10\/endpoint\/[^/]+$/.test(key)) {
      const type = entityType(f) ?? '';
      return MODELLED_TYPES.includes(type) ? examples.get(`endpoint:${type}`)! : `not modelled: ${type}`;
    }
    if (key === 'GET /v0.10/endpoint_search') return examples.get('endpoint_search')!;
    if (/\/ls$/.test(key)) return examples.get('ls')!;
    if (/\/rename$/.test(key)) return examples.get('rename')!;
    if (key === 'POST /v0.10/delete') return examples.get('delete_result')!;
    if (/\/event_list$/.test(key)) return examples.get('event_list')!;
    if (key === 'GET /v0.10/task_list') return examples.get('task_list')!;
    if (/^POST \/v0\.10\/endpoint\/[^/]+\/access$/.test(key)) return examples.get('access_create_result')!;
    if (/^GET \/v0\.10\/endpoint\/[^/]+\/access\/[^/]+$/.test(key)) return examples.get('access')!;
    if (/^PUT \/v0\.10\/endpoint\/[^/]+\/access\/[^/]+$/.test(key)) return examples.get('access_update_result')!;
    if (f.service === 'gcs' && /^(GET|POST|PATCH) \/collections(\/|$)/.test(key)) {
      // The collection document is the same in the answers to get, create and update.
      const type = ((f.json as Json).data as Json[])[0]?.collection_type;
      return examples.get(type === 'guest' ? 'gcs:guest' : 'gcs:mapped')!;
    }
    if (/^GET \/v0\.10\/task\/[^/]+$/.test(key)) return examples.get(`task:${String((f.json as Json).type)}`)!;
    return 'unclassified';
  };

  it('classifies every fixture: compared, or named as not served', () => {
    const unclassified = fixtures.filter((f) => counterpart(f) === 'unclassified').map((f) => `${f.file}: ${label(f)}`);
    expect(unclassified).toEqual([]);
  });

  it('compares at least one fixture of every kind the project uses', () => {
    const compared = new Set(
      fixtures.filter((f) => typeof counterpart(f) !== 'string').map((f) => label(f).replace(/[0-9a-f-]{36}/g, '<id>')),
    );
    for (const kind of [
      'GET /v0.10/endpoint/<id>',
      'GET /v0.10/endpoint_search',
      'GET /v0.10/operation/endpoint/<id>/ls',
      'POST /v0.10/operation/endpoint/<id>/rename',
      'POST /v0.10/delete',
      'GET /v0.10/task/<id>',
      'GET /v0.10/task/<id>/event_list',
      'GET /v0.10/task_list',
      'POST /v0.10/endpoint/<id>/access',
      'GET /v0.10/endpoint/<id>/access/<id>',
      'PUT /v0.10/endpoint/<id>/access/<id>',
      'GET /collections/<id>',
      'PATCH /collections/<id>',
    ]) {
      expect(compared).toContain(kind);
    }
  });

  it.each(loadFixtures().map((f) => [`${f.file} ${label(f)}`, f] as const))('%s', (_name, fixture) => {
    const ours = counterpart(fixture);
    if (typeof ours === 'string') {
      expect(ours).toMatch(/^not (served|modelled)/);
      return;
    }
    expect(shapeDifferences(fixture.json, ours).filter((d) => !KNOWN_DEPARTURES.has(d))).toEqual([]);
  });

  it('marks only the hand-written access_id as a departure', () => {
    const create = fixtures.find((f) => f.file.endsWith('endpoint_acl_operations.yaml') && f.method === 'POST')!;
    expect(shapeDifferences(create.json, examples.get('access_create_result'))).toEqual([...KNOWN_DEPARTURES]);
  });

  it.each([
    ['GET /api/info', 'get_gcs_info.json', 'gcs:info'],
    ['GET /api/collections/<id>', 'get_collection_normal.json', 'gcs:mapped'],
  ])('GCS Manager %s has the shape of globus-sdk-python/gcs/%s', (_name, file, example) => {
    // `data` mixes document types (info, connector): each real entry is held against ours of its DATA_TYPE.
    const { data: realData, ...realEnvelope } = gcsFixture(file) as { data: Json[] };
    const { data: ourData, ...ourEnvelope } = examples.get(example) as { data: Json[] };
    expect(shapeDifferences(realEnvelope, ourEnvelope)).toEqual([]);
    for (const entry of realData) {
      const ours = ourData.find((d) => d.DATA_TYPE === entry.DATA_TYPE);
      expect([entry.DATA_TYPE, shapeDifferences(entry, ours)]).toEqual([entry.DATA_TYPE, []]);
    }
  });
});
