/**
 * Contract tests: for each recorded real Globus response, the sandbox's answer to the
 * same kind of request has every key of the real one, with the same types, DATA_TYPE
 * and code strings.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { transferToken } from '../support/tokens.js';
import { pollUntil } from '../support/wait.js';
import { mappedCollection } from '../support/worlds.js';
import { loadFixtures, shapeDifferences, type FixtureEntry } from '../support/fixtures.js';

type Json = Record<string, unknown>;

/** Fixture requests the sandbox does not serve, because nothing in this project uses them. */
const NOT_SERVED: Array<[RegExp, string]> = [
  [/^(POST|PUT|DELETE) \/v0\.10\/(endpoint|shared_endpoint)/, 'endpoint administration'],
  [/^GET \/v0\.10\/endpoint\/[^/]+\/server_list$/, 'GCSv4 server lists'],
  [/^GET \/v0\.10\/task\/[^/]+\/skipped_errors$/, 'skip_source_errors reports'],
  [/^\w+ \/v2\/api\//, 'Auth identity API'],
  [/^\w+ \/(collections|roles|user_credentials)/, 'GCS Manager API'],
];
/** Endpoint documents of kinds the sandbox does not model (GCSv4, GCSv5 endpoints). */
const MODELLED_TYPES = ['GCSv5_mapped_collection', 'GCSv5_guest_collection', 'GCP_mapped_collection'];

const label = (f: FixtureEntry): string => `${f.method} ${f.path}`;
const entityType = (f: FixtureEntry): string | undefined => (f.json as Json | null)?.entity_type as string | undefined;

describe('sandbox answers have the shape of real Globus answers', () => {
  let sb: TestSandbox;
  let token: string;
  let mappedId: string;
  const fixtures = loadFixtures();
  const examples = new Map<string, Json>();

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
    pollUntil(() => call('GET', `task/${id}`), (task) => task.status !== 'ACTIVE', () => `task ${id} never finished`, { boundMs: 20_000, everyMs: 20 });
  const submit = async (kind: 'transfer' | 'delete', body: Json): Promise<Json> => {
    const { value } = await call('GET', 'submission_id');
    return call('POST', kind, { ...body, submission_id: value });
  };

  beforeAll(async () => {
    mappedId = randomUUID();
    sb = await startTestSandbox((world, tmp) => {
      world.endpoints.push(mappedCollection(world, { id: mappedId, description: 'mapped collection for contract tests', root: join(tmp, 'mapped'), https: true }));
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
    examples.set('rename', await call('POST', `operation/endpoint/${sb.collection.id}/rename`, { DATA_TYPE: 'rename', old_path: '/dir/a.txt', new_path: '/dir/b.txt' }));

    const transfer = await submit('transfer', {
      DATA_TYPE: 'transfer',
      source_endpoint: sb.collection.id,
      destination_endpoint: sb.personal.id,
      DATA: [{ DATA_TYPE: 'transfer_item', source_path: '/dir/b.txt', destination_path: join(sb.tmp, 'b.txt') }],
    });
    examples.set('transfer_result', transfer);
    examples.set('task:TRANSFER', await waitTask(String(transfer.task_id)));
    examples.set('event_list', await call('GET', `task/${String(transfer.task_id)}/event_list`));

    const del = await submit('delete', { DATA_TYPE: 'delete', endpoint: sb.collection.id, DATA: [{ DATA_TYPE: 'delete_item', path: '/dir/b.txt' }] });
    examples.set('delete_result', del);
    examples.set('task:DELETE', await waitTask(String(del.task_id)));
    examples.set('task_list', await call('GET', 'task_list'));
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
    if (/^GET \/v0\.10\/task\/[^/]+$/.test(key)) return examples.get(`task:${String((f.json as Json).type)}`)!;
    return 'unclassified';
  };

  it('classifies every fixture: compared, or named as not served', () => {
    const unclassified = fixtures.filter((f) => counterpart(f) === 'unclassified').map((f) => `${f.file}: ${label(f)}`);
    expect(unclassified).toEqual([]);
  });

  it('compares at least one fixture of every kind the project uses', () => {
    const compared = new Set(fixtures.filter((f) => typeof counterpart(f) !== 'string').map((f) => label(f).replace(/[0-9a-f-]{36}/g, '<id>')));
    for (const kind of [
      'GET /v0.10/endpoint/<id>',
      'GET /v0.10/endpoint_search',
      'GET /v0.10/operation/endpoint/<id>/ls',
      'POST /v0.10/operation/endpoint/<id>/rename',
      'POST /v0.10/delete',
      'GET /v0.10/task/<id>',
      'GET /v0.10/task/<id>/event_list',
      'GET /v0.10/task_list',
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
    expect(shapeDifferences(fixture.json, ours)).toEqual([]);
  });
});
