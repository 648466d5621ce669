/**
 * The contract every registered transport keeps, run against each of them on the sandbox:
 * put files (a local file and a text) to hidden names that a rename reveals, bring files
 * back (one or several at once) with their bytes intact, read a small file within a bound,
 * remove paths (missing ones too), and fail cleanly: a missing file, or one whose bytes are
 * cut on their way, leaves no bytes at the destination, a file over the bound is refused. A new transport registered in
 * src/core/registry/transports/index.ts runs these cases without any change here.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EndpointInfo } from '../../../src/core/registry/endpoint.js';
import { resolveOptions } from '../../../src/core/registry/options.js';
import { Session } from '../../../src/core/registry/session.js';
import type { TransportBackend, TransportRun } from '../../../src/core/registry/transports/backend.js';
import { BACKENDS } from '../../../src/core/registry/transports/index.js';
import { readSmallText } from '../../../src/core/registry/transports/manifest-io.js';
import { TRANSPORTS } from '../../../src/core/registry/transports/transport.js';
import { isSregistryError } from '../../../src/core/errors.js';
import { mkdir as transferMkdir, rename } from '../../../src/core/transfer/index.js';
import { imageBytes } from '../../support/files.js';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return isSregistryError(err) ? err.code : `not an SregistryError: ${String(err)}`;
  }
  return 'no error';
}

describe('the registered transports', () => {
  it('have one name each, and the choices are auto and those names', () => {
    const names = BACKENDS.map((b) => b.name);
    expect(new Set(names).size).toBe(names.length);
    expect(TRANSPORTS).toEqual(['auto', ...names]);
    expect(new Set(BACKENDS.map((b) => b.autoRank)).size).toBe(BACKENDS.length);
  });

  it('are never told apart by name in the source outside src/core/registry/transports/', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|js|html)$/.test(e.name) ? [join(dir, e.name)] : [],
      );
    const names = BACKENDS.map((b) => b.name).join('|');
    const quoted = `['"\`](?:${names})['"\`]`;
    // Compared (===, !==, ==, !=, case) or looked up in a list (.includes, .indexOf) by its name.
    const compared = new RegExp(
      `[!=]==?\\s*${quoted}|${quoted}\\s*[!=]==?|case\\s+${quoted}|\\.(?:includes|indexOf)\\(\\s*${quoted}`,
    );
    const files = ['src/core', 'src/cli', 'src/action', 'nodes', 'resources/sregistry-editor.js']
      .flatMap((d) => (d.endsWith('.js') ? [join(process.cwd(), d)] : sources(join(process.cwd(), d))))
      .filter((f) => !f.includes(join('registry', 'transports')));
    expect(files.length).toBeGreaterThan(100);
    const offending = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => `${f}:${i + 1}: ${line.trim()}`)
        .filter((line) => compared.test(line)),
    );
    expect(offending).toEqual([]);
    // The guard sees a comparison when there is one.
    for (const line of [
      "if (transport === 'https') {",
      'case "transfer":',
      "if (names.includes('transfer')) {",
      'x.transport !== `https`',
      "if (t.indexOf('https') >= 0)",
    ])
      expect(compared.test(line)).toBe(true);
    expect(compared.test("if (transport === 'auto') {")).toBe(false);
  });

  it('are each described where the documentation describes the choices', () => {
    const doc = (file: string): string => readFileSync(join(process.cwd(), 'docs', file), 'utf8');
    const described = {
      // The Action's input points at docs/action.md for the list.
      'action.yml':
        /\n {2}transport:\n {4}description: '([^']*)'/.exec(
          readFileSync(join(process.cwd(), 'action.yml'), 'utf8'),
        )?.[1] ?? '',
      'docs/action.md': /^\| `transport` \|.*$/m.exec(doc('action.md'))?.[0] ?? '',
      'docs/cli.md': /^\| `--transport [^`]*` \|.*$/m.exec(doc('cli.md'))?.[0] ?? '',
      'docs/DESIGN.md': /^- Transports, chosen per operation[\s\S]*?\n\n/m.exec(doc('DESIGN.md'))?.[0] ?? '',
    };
    expect(described['action.yml']).toContain('docs/action.md');
    const missing = Object.entries(described).flatMap(([where, text]) =>
      where === 'action.yml'
        ? []
        : TRANSPORTS.filter((name) => !text.includes(`\`${name}\``)).map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
  });
});

describe.each(BACKENDS.map((b) => [b.name, b] as const))(
  'the %s transport keeps the contract',
  (_name, backend: TransportBackend) => {
    let sb: TestSandbox;
    let session: Session;
    let ep: EndpointInfo;
    let folder: string;
    let local: string;
    const onDisk = (path: string): string => join(sb.collection.root!, path);

    beforeAll(async () => {
      sb = await startTestSandbox();
      local = join(sb.tmp, 'local');
      await mkdir(local, { recursive: true });
      const options = resolveOptions({
        globus: { clientId: sb.client.id, clientSecret: sb.client.secret, authUrl: sb.url, transferUrl: sb.url },
        localEndpoint: sb.personal.id,
        storage: join(sb.tmp, 'storage'),
        database: ':memory:',
        pollMs: 10,
        maxPollMs: 40,
        retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20, rateLimitWindowMs: 1000 },
      });
      await mkdir(options.storage, { recursive: true });
      session = new Session(options, () => {
        throw new Error('the contract needs no records');
      });
      ep = await session.endpoint(sb.collection.id);
      folder = `/contract-${backend.name}/`;
      await transferMkdir(session.transfer, ep.id, folder);
    });
    afterAll(() => sb.stop());

    const run = (extra: Partial<TransportRun> = {}): TransportRun => ({
      session,
      ep,
      image: `contract ${backend.name}`,
      label: `sregistry contract ${backend.name}`,
      ...extra,
    });

    it('reaches the sandbox collection, whose HTTPS server and local endpoint are both there', () => {
      expect(
        backend.unreachable({ httpsServer: ep.httpsServer, localEndpoint: sb.personal.id, shown: ep.displayName }),
      ).toBeUndefined();
      expect(backend.help).not.toBe('');
    });

    it('puts a file and a text under hidden names, which a rename reveals whole', async () => {
      const bytes = imageBytes(200 * 1024);
      const file = join(local, 'put.sif');
      await writeFile(file, bytes);
      const hidden = [`${folder}.put-${randomUUID()}.partial`, `${folder}.text-${randomUUID()}.partial`];
      const put = await backend.put(run({ total: bytes.length }), [
        { to: hidden[0]!, file, sha256: sha256(bytes) },
        { to: hidden[1]!, text: '{"tag":"latest"}\n' },
      ]);
      expect(put.files).toHaveLength(2);
      // Nothing was cut: each file went up in one attempt (more would make a push look for late arrivals).
      for (const f of put.files) expect(f.attempts).toBe(1);
      // A backend that sends file by file reads the bytes, and says what it sent: what the file holds.
      if (!backend.batches) expect(put.files[0]).toMatchObject({ sha256: sha256(bytes), size: bytes.length });
      else expect(put.taskId).toEqual(expect.any(String));
      await rename(session.transfer, ep.id, hidden[0]!, `${folder}put.sif`);
      await rename(session.transfer, ep.id, hidden[1]!, `${folder}put.json`);
      expect(sha256(await readFile(onDisk(`${folder}put.sif`)))).toBe(sha256(bytes));
      expect(await readFile(onDisk(`${folder}put.json`), 'utf8')).toBe('{"tag":"latest"}\n');
      expect(existsSync(onDisk(hidden[0]!))).toBe(false);
    });

    it('gets several files in one call, each byte for byte (checked by SHA-256)', async () => {
      const one = imageBytes(300 * 1024);
      const two = Buffer.from('small manifest\n');
      await writeFile(onDisk(`${folder}get-one.sif`), one);
      await writeFile(onDisk(`${folder}get-two.json`), two);
      const seen: number[] = [];
      const got = await backend.get(run({ total: one.length }), [
        {
          from: `${folder}get-one.sif`,
          to: join(local, 'one.sif'),
          sha256: sha256(one),
          expectedSize: one.length,
          onChunk: (chunk) => seen.push(chunk.length),
        },
        { from: `${folder}get-two.json`, to: join(local, 'two.json'), maxBytes: 1024 },
      ]);
      expect(got.files).toHaveLength(2);
      expect(sha256(await readFile(join(local, 'one.sif')))).toBe(sha256(one));
      expect(await readFile(join(local, 'two.json'), 'utf8')).toBe('small manifest\n');
      // A backend that gets file by file reads the bytes: it answers their SHA-256 and showed every one to onChunk.
      if (!backend.batches) {
        expect(got.files[0]!.sha256).toBe(sha256(one));
        expect(seen.reduce((a, b) => a + b, 0)).toBe(one.length);
      } else expect(got.taskId).toEqual(expect.any(String));
    });

    it('reads a small file within its bound, and refuses one over it', async () => {
      await writeFile(onDisk(`${folder}marker`), '{"layout":2}\n');
      expect(await readSmallText(session, ep, `${folder}marker`, backend, 64)).toBe('{"layout":2}\n');
      await writeFile(onDisk(`${folder}big`), 'x'.repeat(4096));
      // Listed over the bound: refused before anything moves.
      expect(await codeOf(readSmallText(session, ep, `${folder}big`, backend, 1024))).toBe('INVALID_RESPONSE');
      // Listed (wrongly) within it: what arrives is held to the bound all the same.
      expect(await codeOf(readSmallText(session, ep, `${folder}big`, backend, 1024, undefined, 100))).toBe(
        'INVALID_RESPONSE',
      );
    });

    it('fails on a missing file and leaves no bytes at the destination', async () => {
      const to = join(local, `missing-${randomUUID()}`);
      const code = await codeOf(backend.get(run(), [{ from: `${folder}no-such-file`, to }]));
      expect(code).not.toBe('no error');
      expect(code).not.toMatch(/^not an SregistryError/);
      // The destination is the caller's temp file (it removes it): absent, or empty.
      expect(existsSync(to) ? statSync(to).size : 0).toBe(0);
    });

    it('fails when the bytes are cut on their way, and leaves none of them at the destination', async () => {
      const bytes = imageBytes(300 * 1024);
      const name = `cut-${randomUUID()}.sif`;
      await writeFile(onDisk(`${folder}${name}`), bytes);
      const to = join(local, name);
      await writeFile(to, '');
      // Whatever way the backend brings the file, it is cut: every GET of it is reset part way, every Transfer task fails.
      const faults = sb.context.faults;
      faults.add({
        match: { method: 'GET', origin: sb.collection.id, path: name.replace(/\./g, '\\.') },
        action: { kind: 'reset', afterBytes: 64 * 1024 },
        times: 1000,
      });
      faults.add({
        match: { taskType: 'TRANSFER' },
        action: { kind: 'task-fail', code: 'ENDPOINT_ERROR', description: 'connection lost' },
        times: 1000,
      });
      try {
        const code = await codeOf(
          backend.get(run({ total: bytes.length }), [
            { from: `${folder}${name}`, to, sha256: sha256(bytes), expectedSize: bytes.length },
          ]),
        );
        expect(code).not.toBe('no error');
        expect(code).not.toMatch(/^not an SregistryError/);
        expect(statSync(to).size).toBe(0);
      } finally {
        faults.clear();
      }
    });

    it('removes paths, a missing one among them', async () => {
      await writeFile(onDisk(`${folder}gone-1`), 'a');
      await writeFile(onDisk(`${folder}gone-2`), 'b');
      await backend.remove(run(), [`${folder}gone-1`, `${folder}never-there`, `${folder}gone-2`]);
      expect(existsSync(onDisk(`${folder}gone-1`))).toBe(false);
      expect(existsSync(onDisk(`${folder}gone-2`))).toBe(false);
    });

    it('says why it cannot reach a collection it cannot, as one line', () => {
      const cannot = [
        backend.unreachable({ httpsServer: null, localEndpoint: undefined, shown: 'lab (x)' }),
        backend.unreachable({ httpsServer: ep.httpsServer, localEndpoint: undefined, shown: 'lab (x)' }),
        backend.unreachable({ httpsServer: null, localEndpoint: sb.personal.id, shown: 'lab (x)' }),
      ].filter((m): m is string => m !== undefined);
      expect(cannot.length).toBeGreaterThan(0);
      for (const message of cannot) expect(message).not.toContain('\n');
    });
  },
);
