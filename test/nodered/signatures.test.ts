/**
 * The nodes and SIF signatures: the client config node's keyring (public keys as text)
 * and verify setting, a pull node's own policy and msg.verify; a refused image reaches a
 * Catch node with its code and leaves nothing in storage.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, open, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as openpgp from 'openpgp';
import { Registry } from '../../src/core/registry/registry.js';
import { parseLayout, tableEnd } from '../../src/core/signing/sif-objects.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import {
  catchNode,
  clientConfig,
  clientCredentials,
  CLIENT_ID,
  helper,
  nextMessage,
  sregistryNodes,
} from './support.js';

type Msg = Record<string, unknown>;
const FIXTURES = resolve('test/fixtures/sif');
const TEST_FP = '12045C8C0B1004D058DE4BEDA20C27EE7FF7BA84';

describe('sregistry nodes and signed images', () => {
  let sb: TestSandbox;
  let testPublic: string;
  let stranger: string;

  beforeAll(async () => {
    sb = await startTestSandbox();
    testPublic = (await openpgp.readPrivateKey({ armoredKey: await readFile(join(FIXTURES, 'private.asc'), 'utf8') }))
      .toPublic()
      .armor();
    stranger = (
      await openpgp.generateKey({
        type: 'ecc',
        curve: 'curve25519Legacy',
        userIDs: [{ name: 'Stranger' }],
        format: 'armored',
      })
    ).publicKey;
    const tampered = join(sb.tmp, 'tampered.sif');
    await copyFile(join(FIXTURES, 'one-group-signed.sif'), tampered);
    const bytes = await readFile(tampered);
    const target = parseLayout(bytes.subarray(0, tableEnd(bytes.subarray(0, 128))!))!
      .objects.filter((o) => o.groupId === 1)
      .sort((a, b) => b.size - a.size)[0]!;
    const fh = await open(tampered, 'r+');
    await fh.write(Buffer.from([bytes[target.offset]! ^ 1]), 0, 1, target.offset);
    await fh.close();
    const registry = new Registry({
      globus: {
        clientId: sb.client.id,
        clientSecret: sb.client.secret,
        authUrl: `${sb.url}/`,
        transferUrl: `${sb.url}/`,
      },
      transport: 'https',
      storage: join(sb.tmp, 'seed-storage'),
      database: join(sb.tmp, 'seed.db'),
    });
    try {
      await registry.push(join(FIXTURES, 'one-group-signed.sif'), `globus://${sb.collection.id}/lab/signed:v1`);
      await registry.push(join(FIXTURES, 'one-group.sif'), `globus://${sb.collection.id}/lab/unsigned:v1`);
      await registry.push(tampered, `globus://${sb.collection.id}/lab/tampered:v1`);
    } finally {
      await registry.close();
    }
  }, 60_000);
  afterAll(() => sb.stop());
  afterEach(() => helper.unload());

  async function load(node: Msg, clientExtra: Msg): Promise<void> {
    await helper.load(
      [...sregistryNodes, catchNode],
      [
        clientConfig(sb, clientExtra),
        { id: 'op', client: CLIENT_ID, wires: [['out']], ...node },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ],
      clientCredentials(sb),
    );
  }
  const stored = (name: string): string[] => {
    const dir = join(String(clientConfig(sb).storage), 'lab', name);
    return existsSync(dir) ? readdirSync(dir) : [];
  };

  it('a pull node set to required verifies against the keyring pasted into the client node', async () => {
    await load({ type: 'sregistry-pull', image: 'lab/signed:v1', verify: 'required' }, { keyring: testPublic });
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({});
    const payload = (await got).payload as Msg;
    expect(payload.status).toBe('pulled');
    expect(payload.signatures).toMatchObject({
      status: 'verified',
      signatures: [{ fingerprint: TEST_FP, userId: 'Unit Test <unit@test.com>', status: 'verified' }],
    });
  });

  it('required refuses an unsigned image (UNSIGNED at the Catch node) and stores nothing; msg.verify if-signed lets it through', async () => {
    await load({ type: 'sregistry-pull', image: 'lab/unsigned:v1', verify: 'required' }, { keyring: testPublic });
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('op').receive({ topic: 'nightly' });
    const msg = await caught;
    expect((msg.error as Msg).code).toBe('UNSIGNED');
    expect(msg.topic).toBe('nightly');
    expect(stored('unsigned')).toEqual([]);
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({ verify: 'if-signed' });
    expect(((await got).payload as Msg).signatures).toMatchObject({ status: 'unsigned' });
  });

  it('by default a tampered image fails SIGNATURE_INVALID with nothing stored; msg.verify off takes it', async () => {
    await load({ type: 'sregistry-pull', image: 'lab/tampered:v1' }, {});
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('op').receive({});
    expect(((await caught).error as Msg).code).toBe('SIGNATURE_INVALID');
    expect(stored('tampered')).toEqual([]);
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive({ verify: 'off' });
    expect(((await got).payload as Msg).status).toBe('pulled');
  });

  it("the client node's verify and keyring apply to its pull nodes: a signer outside it is UNTRUSTED_SIGNER", async () => {
    await load({ type: 'sregistry-pull', image: 'lab/signed:v1' }, { keyring: stranger, verify: 'required' });
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('op').receive({});
    const error = (await caught).error as Msg;
    expect(error.code).toBe('UNTRUSTED_SIGNER');
    expect(String(error.message)).toContain(TEST_FP);
  });
});
