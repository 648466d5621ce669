/**
 * The Node-RED nodes against a registry with hostile co-writers and hostile messages, in
 * the real runtime: a msg.filename that is not an image or lies outside the node's Folder,
 * a manifest planted to pin a tag, and a collection whose display name drives terminals.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { copyFile, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildManifest, manifestText } from '../../src/core/manifest.js';
import { writeSif } from '../../src/core/sif.js';
import { fileSha256 } from '../support/files.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { extraEndpoint } from '../support/worlds.js';
import { countHostile } from '../reliability/ledger.js';
import {
  catchNode,
  clientConfig,
  clientCredentials,
  CLIENT_ID,
  helper,
  nextMessage,
  recordStatuses,
  sregistryNodes,
  waitFor,
} from './support.js';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
type Msg = Record<string, unknown>;

describe('sregistry nodes against a hostile registry', () => {
  let sb: TestSandbox;
  let hostileId: string;
  beforeAll(async () => {
    sb = await startTestSandbox((world, tmp) => {
      const e = extraEndpoint({
        displayName: 'lab\u001b]0;pwned\u0007\u001b[2J\u202eevil',
        entityType: 'GCSv5_guest_collection',
        owner: world.clients[0]!.id,
        https: true,
        root: join(tmp, 'hostile-name'),
      });
      mkdirSync(e.root!, { recursive: true });
      hostileId = e.id;
      world.endpoints.push(e);
    });
  });
  afterAll(() => sb.stop());
  afterEach(() => helper.unload());

  const remoteFolder = (c: string, n: string): string => join(sb.collection.root!, 'shub', c, n);

  async function load(node: Msg, client: Msg = {}): Promise<void> {
    await helper.load(
      [...sregistryNodes, catchNode],
      [
        clientConfig(sb, client),
        { id: 'op', client: CLIENT_ID, wires: [['out']], ...node },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ],
      clientCredentials(sb),
    );
  }

  async function fails(msg: Msg): Promise<{ message: string; code?: string }> {
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('op').receive(msg);
    return (await caught).error as { message: string; code?: string };
  }

  async function succeeds(msg: Msg): Promise<Msg> {
    const got = nextMessage(helper.getNode('out'));
    helper.getNode('op').receive(msg);
    return got;
  }

  it('push refuses a msg.filename that is not a SIF image, uploads nothing, and pushes it with "any file" set', async () => {
    const notes = join(sb.tmp, 'notes.sif');
    await writeFile(notes, 'meeting notes\n');
    await load({ type: 'sregistry-push', image: 'lab/notes:latest' });
    const statuses = recordStatuses(helper.getNode('op'));
    const error = await fails({ filename: notes });
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/notes\.sif is a text file, not a SIF image/);
    expect(statuses.at(-1)).toMatchObject({ fill: 'red', shape: 'ring' });
    await expect(readdir(remoteFolder('lab', 'notes'))).rejects.toMatchObject({ code: 'ENOENT' });

    await helper.unload();
    await load({ type: 'sregistry-push', image: 'lab/notes:latest', anyFile: true });
    const pushed = (await succeeds({ filename: notes })).payload as Msg[];
    expect(pushed[0]).toMatchObject({ status: 'pushed', version: await fileSha256(notes) });
    countHostile('a file that is not a SIF image pushed as one', 'Node-RED');
  });

  it('push with a Folder takes msg.filename only inside it, links resolved: /etc/passwd and a link out are refused', async () => {
    const folder = join(sb.tmp, 'outbox');
    await mkdir(folder, { recursive: true });
    const inside = join(folder, 'app.sif');
    await writeSif(inside, { payloadBytes: Buffer.from('outbox '.repeat(200)) });
    const outside = join(sb.tmp, 'elsewhere.sif');
    await writeSif(outside, { payloadBytes: Buffer.from('elsewhere '.repeat(200)) });
    await symlink(outside, join(folder, 'link.sif'));
    await load({ type: 'sregistry-push', image: 'lab/outbox:latest', folder });
    for (const filename of ['/etc/passwd', outside, join(folder, 'link.sif'), join(folder, '..', 'elsewhere.sif')]) {
      const error = await fails({ filename });
      expect(error.message).toMatch(/is outside the node's Folder/);
    }
    await expect(readdir(remoteFolder('lab', 'outbox'))).rejects.toMatchObject({ code: 'ENOENT' });
    const pushed = (await succeeds({ filename: 'app.sif' })).payload as Msg[];
    expect(pushed[0]).toMatchObject({ status: 'pushed', version: await fileSha256(inside) });
    countHostile("a msg.filename outside the push node's folder", 'Node-RED');
  });

  it('a manifest planted with a stamp in 2999 does not pin the tag: the record node gets what the push node pushed', async () => {
    const first = join(sb.tmp, 'first.sif');
    await writeSif(first, { payloadBytes: Buffer.from('first '.repeat(200)) });
    await load({ type: 'sregistry-push', image: 'lab/pinned:latest' });
    await succeeds({ filename: first });
    const planted = join(sb.tmp, 'planted.sif');
    await writeSif(planted, { payloadBytes: Buffer.from('planted '.repeat(200)) });
    const version = await fileSha256(planted);
    const dir = remoteFolder('lab', 'pinned');
    await copyFile(planted, join(dir, `sha256.${version}.sif`));
    const ref = { collection: 'lab', name: 'pinned', tag: 'latest', version };
    await writeFile(
      join(dir, `latest@${version}.29991231T000000000Z.json`),
      manifestText(
        buildManifest({ endpoint: sb.collection.id, ref, size: (await stat(planted)).size, pushedBy: 'intruder' }),
      ),
    );

    const later = join(sb.tmp, 'later.sif');
    await writeSif(later, { payloadBytes: Buffer.from('later '.repeat(200)) });
    const pushed = (await succeeds({ filename: later })).payload as Msg[];
    expect(pushed[0]).toMatchObject({ status: 'pushed', version: await fileSha256(later) });
    await helper.unload();
    await load({ type: 'sregistry-record', image: 'lab/pinned:latest' });
    const recorded = (await succeeds({})).payload as Msg;
    expect(recorded.version).toBe(await fileSha256(later));
    countHostile('a manifest planted with a future stamp to pin a tag', 'Node-RED');
  });

  it('a client config with plain http to a name under .localhost is refused before any request', async () => {
    await load(
      { type: 'sregistry-record', image: 'lab/app:latest' },
      { authUrl: 'http://registry.localhost:9/', transferUrl: 'http://registry.localhost:9/' },
    );
    const error = await fails({});
    expect(error.code).toBe('INSECURE_URL');
    expect(error.message).toContain('a name under .localhost may be answered by DNS');
    countHostile('plain http to a name under .localhost', 'Node-RED');
  });

  it("the watch node shows an endpoint's display name with escapes escaped, in its status and its error", async () => {
    await load({ type: 'sregistry-watch', target: `globus://${hostileId}/lab/x`, interval: 1 });
    const statuses = recordStatuses(helper.getNode('op'));
    const caught = nextMessage(helper.getNode('caught'));
    const error = (await caught).error as { message: string };
    expect(error.message).toContain('lab\\x1b]0;pwned\\x07\\x1b[2J\\u{202e}evil');
    expect(RAW_CONTROL.test(error.message)).toBe(false);
    await waitFor(() => statuses.some((st) => st.fill === 'red' || st.fill === 'yellow'), 20000, 'an error status');
    for (const st of statuses) expect(RAW_CONTROL.test(st.text ?? '')).toBe(false);
    countHostile('an endpoint display name with terminal escapes', 'Node-RED');
  });

  it("an endpoint's display name with escapes stays escaped in the error and the status", async () => {
    await load({ type: 'sregistry-record', image: 'lab/none:latest', endpoint: hostileId });
    const statuses = recordStatuses(helper.getNode('op'));
    const error = await fails({});
    // No registry there yet: the message names the collection by its display name.
    expect(error.code).toBe('NO_REGISTRY');
    expect(error.message).toContain('lab\\x1b]0;pwned\\x07\\x1b[2J\\u{202e}evil');
    expect(RAW_CONTROL.test(error.message)).toBe(false);
    expect(RAW_CONTROL.test(statuses.at(-1)?.text ?? '')).toBe(false);
    countHostile('an endpoint display name with terminal escapes', 'Node-RED');
  });
});
