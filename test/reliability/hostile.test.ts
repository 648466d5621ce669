/**
 * Hostile input, property-based (fast-check): the URI parser, layout resolution and
 * storage paths with traversal, separators, NUL, over-long names, look-alikes and control
 * characters; then a hostile Globus (test/reliability/hostile-server.ts) in front of a
 * real sandbox, answering listings full of such names, malformed, huge or deeply nested
 * JSON, a wrong Content-Length and redirects to another host. Every answer must be a
 * typed error or a safe result, and nothing may be written outside storage.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';
import { isSregistryError } from '../../src/core/errors.js';
import { imagePath } from '../../src/core/layout.js';
import { indexListing } from '../../src/core/versions.js';
import { storagePath } from '../../src/core/storage.js';
import { parseGlobusUri, parseReference, validateRef, isValidName, isValidTag } from '../../src/core/uri.js';
import { Registry } from '../../src/core/registry/registry.js';
import { closeHttp } from '../../src/core/http/index.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { seedImage } from '../nodered/seed.js';
import { trickyArb, versionArb } from '../core/uri-arbitraries.js';
import { answer, startHostileServer, type HostileServer } from './hostile-server.js';
import { countProperty } from './ledger.js';

/** Names a hostile endpoint might list: traversal, separators, NUL, controls, look-alikes, very long. */
const hostileNameArb: fc.Arbitrary<string> = fc.oneof(
  trickyArb,
  fc.constantFrom(
    '..',
    '.',
    '/',
    'v1@' + 'a'.repeat(64) + '.sif/../../escape',
    '\u0000v1',
    'ｖ1',
    'v\u04351',
    'ⅼab',
    'v1\u202e',
    '\u001b]0;x\u0007',
    'x'.repeat(5000),
  ),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.tuple(fc.string({ unit: 'binary', maxLength: 20 }), versionArb).map(([t, v]) => `${t}@${v}.sif`),
);

const isTyped = (err: unknown): boolean =>
  isSregistryError(err) && /^[A-Z_]+$/.test(err.code) && !err.message.includes('\u0000');
/** The error itself when it is not typed, so a failure shows what escaped. */
const typed = (err: unknown): string =>
  isTyped(err)
    ? 'typed'
    : `${(err as Error)?.constructor?.name}: ${String((err as Error)?.message ?? err).slice(0, 300)}`;

describe('hostile input: parsers and paths', () => {
  it('parseGlobusUri and parseReference answer a typed error or a ref whose every part is valid', () => {
    const runs = 3000;
    const textArb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc
        .tuple(fc.constantFrom('globus://', 'GLOBUS://', 'globus:///', ''), fc.array(hostileNameArb, { maxLength: 4 }))
        .map(([s, parts]) => s + parts.join('/')),
    );
    fc.assert(
      fc.property(textArb, (text) => {
        for (const parse of [() => parseGlobusUri(text).ref, () => parseReference(text)]) {
          let ref;
          try {
            ref = parse();
          } catch (err) {
            expect(typed(err)).toBe('typed');
            continue;
          }
          if (!ref) continue;
          expect(isValidName(ref.collection) && isValidName(ref.name) && isValidTag(ref.tag)).toBe(true);
          expect(validateRef(ref)).toEqual(ref);
        }
      }),
      { numRuns: runs },
    );
    countProperty('URI and reference parsing', runs * 2);
  });

  it('registry and storage paths of any parts stay inside their root, or are refused with a typed error', () => {
    const runs = 3000;
    const storage = join('/srv', 'storage');
    fc.assert(
      fc.property(hostileNameArb, hostileNameArb, hostileNameArb, versionArb, (collection, name, tag, version) => {
        const ref = { collection, name, tag, version };
        try {
          const remote = imagePath('/shub/', ref);
          expect(remote.startsWith('/shub/')).toBe(true);
          expect(remote.split('/')).not.toContain('..');
          // eslint-disable-next-line no-control-regex -- matching control characters is the point
          expect(remote).not.toMatch(/[\u0000-\u001f]/);
        } catch (err) {
          expect(typed(err)).toBe('typed');
        }
        try {
          const local = storagePath(storage, ref);
          const rel = relative(storage, local);
          expect(rel.startsWith('..') || rel.split(sep).includes('..')).toBe(false);
          expect(rel.split(sep)).toHaveLength(3);
        } catch (err) {
          expect(typed(err)).toBe('typed');
        }
      }),
      { numRuns: runs },
    );
    countProperty('registry and storage path resolution', runs * 2);
  });

  it('a listing of hostile names yields only versions with a valid tag and a 64-hex version', () => {
    const runs = 2000;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: hostileNameArb,
            type: fc.constantFrom('file', 'dir', 'invalid_symlink', 'weird'),
            size: fc.integer(),
          }),
          { maxLength: 30 },
        ),
        (entries) => {
          const listed = indexListing(
            entries.map((e) => ({ DATA_TYPE: 'file', ...e, last_modified: '2024-01-01 00:00:00+00:00' })) as never,
          );
          for (const v of listed) {
            expect(isValidTag(v.tag)).toBe(true);
            expect(v.version).toMatch(/^[0-9a-f]{64}$/);
          }
        },
      ),
      { numRuns: runs },
    );
    countProperty('listing names from an endpoint', runs);
  });
});

describe('hostile input: a hostile Globus in front of the sandbox', () => {
  let sb: TestSandbox;
  let transfer: HostileServer;
  let collection: HostileServer;
  let elsewhere: Server;
  let elsewhereUrl: string;
  const elsewhereSeen: { authorized: boolean }[] = [];
  let version: string;
  let storage: string;

  beforeAll(async () => {
    sb = await startTestSandbox();
    version = (await seedImage(sb, 'lab/app:v1', 64 * 1024)).version;
    transfer = await startHostileServer(sb.url);
    collection = await startHostileServer(sb.collection.httpsServer!);
    elsewhere = createServer((req, res) => {
      elsewhereSeen.push({ authorized: req.headers.authorization !== undefined });
      res.end('{}');
    });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
    // The same machine under another name: another host as far as the client can tell.
    elsewhereUrl = `http://localhost:${(elsewhere.address() as AddressInfo).port}`;
    storage = join(sb.tmp, 'hostile-storage');
  });
  afterAll(async () => {
    await closeHttp();
    await transfer.close();
    await collection.close();
    elsewhere.closeAllConnections();
    await new Promise((r) => elsewhere.close(r));
    await sb.stop();
  });
  afterEach(() => {
    transfer.rewrites.splice(0);
    collection.rewrites.splice(0);
  });

  /** Endpoint documents name the hostile collection server instead of the sandbox's. */
  const viaHostileCollection = async (
    req: { url?: string | undefined; method?: string | undefined },
    res: Parameters<typeof answer>[0],
    upstream: () => Promise<{ status: number; body: Buffer }>,
  ) => {
    if (!/^\/v0\.10\/endpoint\/[^/?]+$/.test((req.url ?? '').split('?')[0]!)) return false;
    const got = await upstream();
    const doc = JSON.parse(got.body.toString()) as Record<string, unknown>;
    if (doc.https_server) doc.https_server = collection.url;
    return answer(res, got.status, JSON.stringify(doc));
  };

  const registry = () =>
    new Registry({
      globus: {
        clientId: sb.client.id,
        clientSecret: sb.client.secret,
        authUrl: `${sb.url}/`,
        transferUrl: `${transfer.url}/`,
      },
      transport: 'https',
      storage,
      database: join(sb.tmp, 'hostile.db'),
      retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 20 },
    });

  /** Every file now in sb.tmp outside the sandbox's own data and the storage/database we gave. */
  async function filesOutsideStorage(): Promise<string[]> {
    const all = await readdir(sb.tmp, { recursive: true, withFileTypes: true });
    return all
      .filter((e) => e.isFile())
      .map((e) => relative(sb.tmp, join(e.parentPath, e.name)))
      .filter(
        (p) =>
          !p.startsWith(`sandbox${sep}`) &&
          !p.startsWith(`hostile-storage${sep}`) &&
          !p.startsWith('hostile.db') &&
          !p.startsWith(`seed`),
      );
  }

  /** Storage holds only complete images, each named by its own SHA-256. */
  async function storageIsClean(): Promise<void> {
    const all = await readdir(storage, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of all.filter((x) => x.isFile())) {
      const m = /^[a-z0-9_-][a-z0-9._-]*@([0-9a-f]{64})\.sif$/.exec(e.name);
      expect([e.name, m !== null]).toEqual([e.name, true]);
      const sha = createHash('sha256')
        .update(await readFile(join(e.parentPath, e.name)))
        .digest('hex');
      expect(sha).toBe(m![1]);
    }
  }

  async function expectSafe(run: (r: Registry) => Promise<unknown>): Promise<{ ok: boolean; code?: string }> {
    const before = await filesOutsideStorage();
    const r = registry();
    let outcome: { ok: boolean; code?: string };
    try {
      await run(r);
      outcome = { ok: true };
    } catch (err) {
      expect(typed(err)).toBe('typed');
      outcome = { ok: false, code: (err as { code: string }).code };
    } finally {
      await r.close();
    }
    expect(await filesOutsideStorage()).toEqual(before);
    await storageIsClean();
    // The next attempt starts from nothing: no cached copy to answer from.
    await rm(storage, { recursive: true, force: true });
    for (const suffix of ['', '-wal', '-shm']) await rm(join(sb.tmp, `hostile.db${suffix}`), { force: true });
    return outcome;
  }

  const uri = () => `globus://${sb.collection.id}/lab/app:v1`;
  const isPath = (re: RegExp) => (req: { url?: string | undefined }) => re.test((req.url ?? '').split('?')[0]!);

  it('the honest path through the proxies works (so the failures below are the hostile answers)', async () => {
    transfer.rewrites.push(viaHostileCollection);
    expect(await expectSafe((r) => r.pull(uri()))).toEqual({ ok: true });
    expect(collection.seen.some((s) => s.method === 'GET' && s.path.endsWith('.sif'))).toBe(true);
  });

  it('listings full of hostile names: pulls and searches give typed errors or safe results (property)', async () => {
    const runs = 25;
    await fc.assert(
      fc.asyncProperty(
        fc.array(hostileNameArb, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        async (names, asFolders) => {
          transfer.rewrites.splice(0);
          transfer.rewrites.push(async (req, res, upstream) => {
            if (!isPath(/\/ls$/)(req)) return false;
            const got = await upstream();
            const page = JSON.parse(got.body.toString()) as { DATA?: unknown[] };
            if (!Array.isArray(page.DATA)) return false;
            const extra = names.map((name, i) => ({
              DATA_TYPE: 'file',
              name,
              type: asFolders ? 'dir' : 'file',
              size: 65536 + i,
              last_modified: '2999-01-01 00:00:00+00:00',
            }));
            return answer(res, got.status, JSON.stringify({ ...page, DATA: [...page.DATA, ...extra] }));
          }, viaHostileCollection);
          await expectSafe((r) => r.pull(uri()));
          await expectSafe(async (r) => {
            const hits = await r.search(undefined, { endpoint: sb.collection.id });
            for (const h of hits) {
              expect(h.kind).toBe('image');
              const { collection: c, name, tag, version: v } = h.image!;
              expect(validateRef({ collection: c, name, tag, version: v })).toEqual({
                collection: c,
                name,
                tag,
                version: v,
              });
              expect(parseGlobusUri(h.uri).ref).toEqual({ collection: c, name, tag });
            }
            expect(hits.some((h) => h.image?.name === 'app' && h.image.tag === 'v1')).toBe(true);
          });
        },
      ),
      { numRuns: runs },
    );
    countProperty('hostile listings served to pull and search', runs * 2);
  });

  it.each([
    ['malformed JSON', '{"id": '],
    ['JSON of the wrong shape', '{"id": 5, "https_server": {"x": 1}, "DATA_TYPE": []}'],
    ['a JSON array', '[1,2,3]'],
    ['deeply nested JSON', `${'['.repeat(200_000)}${']'.repeat(200_000)}`],
    ['huge JSON (24 MB)', JSON.stringify({ DATA_TYPE: 'endpoint', id: 'x', junk: 'x'.repeat(24 << 20) })],
    ['an HTML page', '<html><body>maintenance</body></html>'],
  ])('an endpoint document that is %s: typed error', async (_what, body) => {
    transfer.rewrites.push((req, res) => isPath(/^\/v0\.10\/endpoint\/[^/]+$/)(req) && answer(res, 200, body));
    const outcome = await expectSafe((r) => r.pull(uri()));
    expect(outcome.ok).toBe(false);
  });

  it.each([
    ['an ls whose DATA is not an array', '{"DATA_TYPE":"file_list","DATA":{"name":"v1"}}'],
    [
      'an ls with entries of the wrong types',
      '{"DATA_TYPE":"file_list","DATA":[{"name":5,"type":null,"size":"big"},null,7],"total":3}',
    ],
    [
      'an ls with 200,000 entries',
      JSON.stringify({
        DATA_TYPE: 'file_list',
        DATA: Array.from({ length: 200_000 }, (_, i) => ({
          DATA_TYPE: 'file',
          name: `../${i}\u0000`,
          type: 'file',
          size: i,
        })),
        total: 200_000,
      }),
    ],
  ])('%s: a typed error or a safe result', async (_what, body) => {
    transfer.rewrites.push((req, res) => isPath(/\/ls$/)(req) && answer(res, 200, body), viaHostileCollection);
    await expectSafe((r) => r.pull(uri()));
  });

  it('an image GET whose Content-Length promises more than it sends: typed error, no partial left', async () => {
    transfer.rewrites.push(viaHostileCollection);
    collection.rewrites.push(async (req, res, upstream) => {
      if (!isPath(/\.sif$/)(req) || req.method !== 'GET') return false;
      const got = await upstream();
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(got.body.length + 4096),
      });
      res.write(got.body);
      setTimeout(() => res.destroy(), 20);
      return true;
    });
    const outcome = await expectSafe((r) => r.pull(uri()));
    expect(outcome.ok).toBe(false);
  });

  it('an image GET whose Content-Length is short (the body cut to match): typed error, nothing stored', async () => {
    transfer.rewrites.push(viaHostileCollection);
    collection.rewrites.push(async (req, res, upstream) => {
      if (!isPath(/\.sif$/)(req) || req.method !== 'GET') return false;
      const got = await upstream();
      return answer(res, 200, got.body.subarray(0, got.body.length - 10), {
        'content-type': 'application/octet-stream',
      });
    });
    const outcome = await expectSafe((r) => r.pull(uri()));
    expect(outcome.ok).toBe(false);
  });

  it('a manifest of 16 MB: typed error', async () => {
    transfer.rewrites.push(viaHostileCollection);
    collection.rewrites.push(
      (req, res) => isPath(/\.json$/)(req) && answer(res, 200, JSON.stringify({ version, pad: 'x'.repeat(16 << 20) })),
    );
    const outcome = await expectSafe((r) => r.pull(uri()));
    expect(outcome.ok).toBe(false);
  });

  it.each([301, 302, 307, 308])(
    'redirects (%i) to another host are not followed and carry no token there',
    async (status) => {
      elsewhereSeen.splice(0);
      transfer.rewrites.push(viaHostileCollection);
      collection.rewrites.push(
        (req, res) =>
          isPath(/\.sif(\.json)?$/)(req) &&
          answer(res, status, '', { location: `${elsewhereUrl}/steal${req.url ?? ''}` }),
      );
      const fromCollection = await expectSafe((r) => r.pull(uri()));
      expect(fromCollection.ok).toBe(false);
      collection.rewrites.splice(0);
      transfer.rewrites.splice(0);
      transfer.rewrites.push(
        (req, res) =>
          isPath(/^\/v0\.10\//)(req) && answer(res, status, '', { location: `${elsewhereUrl}/steal${req.url ?? ''}` }),
      );
      const fromTransfer = await expectSafe((r) => r.pull(uri()));
      expect(fromTransfer.ok).toBe(false);
      expect(elsewhereSeen.filter((s) => s.authorized)).toEqual([]);
    },
  );
});
