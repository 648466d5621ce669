import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startNodeRed, type NodeRedProcess } from './runtime.js';

type Json = Record<string, unknown>;

describe('Globus client credentials in a real Node-RED runtime', () => {
  let red: NodeRedProcess;
  const clientId = randomUUID();
  const secret = `sregistry-secret-${randomBytes(16).toString('hex')}`;

  beforeAll(async () => {
    red = await startNodeRed({ credentialSecret: `cred-key-${randomBytes(8).toString('hex')}` });
  });
  afterAll(() => red?.stop());

  it('loads the package from the userDir with its seven node types', async () => {
    const res = await fetch(`${red.url}/nodes`, { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(200);
    const sets = (await res.json()) as Array<{ module: string; types: string[]; enabled: boolean; err?: string }>;
    const ours = sets.filter((s) => s.module === '@sregistry/globus');
    expect(ours.every((s) => s.enabled && !s.err)).toBe(true);
    expect(ours.flatMap((s) => s.types).sort()).toEqual([
      'sregistry-delete',
      'sregistry-globus-client',
      'sregistry-pull',
      'sregistry-push',
      'sregistry-record',
      'sregistry-search',
      'sregistry-watch',
    ]);
  });

  it('keeps the secret out of GET /flows and flows.json; only flows_cred.json holds it, encrypted', async () => {
    const flows = [
      { id: 'tab1', type: 'tab', label: 'Lab' },
      {
        id: 'client1',
        type: 'sregistry-globus-client',
        name: 'lab',
        authUrl: 'http://127.0.0.1:9/',
        transferUrl: 'http://127.0.0.1:9/',
        endpoint: '',
        root: '',
        transport: 'auto',
        localEndpoint: '',
        storage: join(red.userDir, 'storage'),
        database: join(red.userDir, 'sregistry.db'),
        credentials: { clientId, clientSecret: secret },
      },
      {
        id: 'pull1',
        type: 'sregistry-pull',
        z: 'tab1',
        client: 'client1',
        image: 'library/busybox',
        endpoint: '',
        transport: '',
        queueLimit: 100,
        x: 200,
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

    const got = await fetch(`${red.url}/flows`, { headers: { Accept: 'application/json' } });
    const text = await got.text();
    expect(text).toContain('"sregistry-globus-client"');
    expect(text).not.toContain(secret);

    const creds = (await (await fetch(`${red.url}/credentials/sregistry-globus-client/client1`)).json()) as Json;
    expect(creds).toEqual({ clientId, has_clientSecret: true });

    const flowFile = await readFile(join(red.userDir, 'flows.json'), 'utf8');
    expect(flowFile).toContain('client1');
    expect(flowFile).not.toContain(secret);
    expect(flowFile).not.toContain(clientId);

    const credFile = await readFile(join(red.userDir, 'flows_cred.json'), 'utf8');
    expect(credFile).not.toContain(secret);
    expect(credFile).not.toContain(clientId);
    const encrypted = JSON.parse(credFile) as Json;
    expect(Object.keys(encrypted)).toEqual(['$']);
    expect(typeof encrypted.$).toBe('string');
    expect((encrypted.$ as string).length).toBeGreaterThan(secret.length);
  });
});
