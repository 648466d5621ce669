/**
 * Test-only stand-in for the GitHub Actions cache service v2, on 127.0.0.1, speaking what
 * @actions/cache sends when ACTIONS_CACHE_SERVICE_V2 is set:
 *
 * - twirp JSON (snake_case fields) at
 *   POST /twirp/github.actions.results.api.v1.CacheService/{GetCacheEntryDownloadURL,
 *   CreateCacheEntry, FinalizeCacheEntryUpload}, bearer ACTIONS_RUNTIME_TOKEN;
 * - the signed blob URLs it hands out, Azure Blob style: Put Blob (`PUT` with
 *   `x-ms-blob-type: BlockBlob`), Put Block (`PUT ?comp=block&blockid=`) and Put Block List
 *   (`PUT ?comp=blocklist`, XML), as the Azure SDK's BlockBlobClient.uploadFile sends them,
 *   and a plain `GET` for the download (the toolkit's own HTTP client for non-Azure hosts).
 *
 * Entries match on key (or a restore-key prefix) and version, like the real service.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const SERVICE = '/twirp/github.actions.results.api.v1.CacheService/';
const ACCOUNT = 'devstoreaccount1';
const CONTAINER = 'actions-cache';

interface Entry {
  id: number;
  key: string;
  version: string;
  blob: string;
  sig: string;
  size?: number;
  finalized: boolean;
  created: number;
}

export interface CacheRequest {
  method: string;
  path: string;
  /** twirp method, or blob operation: put-blob, put-block, put-block-list, get-blob. */
  operation: string;
  status: number;
  headers: Record<string, string>;
}

export interface CacheServer {
  url: string;
  token: string;
  requests: CacheRequest[];
  entries(): Entry[];
  /** Environment that points @actions/cache at this server. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const blobHeaders = (): Record<string, string> => ({
  etag: `"0x${randomBytes(8).toString('hex').toUpperCase()}"`,
  'last-modified': new Date().toUTCString(),
  'x-ms-request-id': randomUUID(),
  'x-ms-version': '2025-11-05',
  'x-ms-request-server-encrypted': 'true',
  date: new Date().toUTCString(),
});

const storageError = (res: ServerResponse, status: number, code: string): void => {
  const xml = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'x-ms-error-code': code,
    'content-length': Buffer.byteLength(xml),
  });
  res.end(xml);
};

export async function startCacheServer(): Promise<CacheServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sregistry-cache-'));
  const token = randomBytes(24).toString('base64url');
  const entries: Entry[] = [];
  const requests: CacheRequest[] = [];
  let nextId = 1;
  let origin = '';

  const blobPath = (e: Entry): string => join(dir, `blob-${e.id}`);
  const blockPath = (e: Entry, blockId: string): string =>
    join(dir, `block-${e.id}-${Buffer.from(blockId, 'base64').toString('hex')}`);
  const blobUrl = (e: Entry): string =>
    `${origin}/${ACCOUNT}/${CONTAINER}/${e.blob}?sv=2025-11-05&sr=b&sp=rcw&sig=${encodeURIComponent(e.sig)}`;

  async function twirp(method: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
    if (req.headers.authorization !== `Bearer ${token}`) {
      json(res, 401, { code: 'unauthenticated', msg: 'bad runtime token' });
      return 401;
    }
    const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Record<string, unknown>;
    const key = String(body.key ?? '');
    const version = String(body.version ?? '');
    switch (method) {
      case 'CreateCacheEntry': {
        if (entries.some((e) => e.key === key && e.version === version && e.finalized)) {
          json(res, 200, { ok: false, message: `cache entry ${key} already exists` });
          return 200;
        }
        const entry: Entry = {
          id: nextId++,
          key,
          version,
          blob: randomUUID(),
          sig: randomBytes(16).toString('base64'),
          finalized: false,
          created: Date.now(),
        };
        entries.push(entry);
        json(res, 200, { ok: true, signed_upload_url: blobUrl(entry) });
        return 200;
      }
      case 'FinalizeCacheEntryUpload': {
        const entry = entries.find((e) => e.key === key && e.version === version && !e.finalized);
        const size = entry
          ? await stat(blobPath(entry)).then(
              (s) => s.size,
              () => undefined,
            )
          : undefined;
        if (!entry || size === undefined || String(size) !== String(body.size_bytes)) {
          json(res, 200, { ok: false, message: 'no uploaded blob of that size for this entry' });
          return 200;
        }
        entry.finalized = true;
        entry.size = size;
        json(res, 200, { ok: true, entry_id: String(entry.id) });
        return 200;
      }
      case 'GetCacheEntryDownloadURL': {
        const done = entries.filter((e) => e.finalized && e.version === version).sort((a, b) => b.created - a.created);
        const restoreKeys = Array.isArray(body.restore_keys) ? body.restore_keys.map(String) : [];
        const found =
          done.find((e) => e.key === key) ??
          restoreKeys.map((k) => done.find((e) => e.key.startsWith(k))).find((e) => e !== undefined);
        if (!found) {
          json(res, 200, { ok: false });
          return 200;
        }
        json(res, 200, { ok: true, signed_download_url: blobUrl(found), matched_key: found.key });
        return 200;
      }
      default:
        json(res, 404, { code: 'bad_route', msg: `no method ${method}` });
        return 404;
    }
  }

  async function blob(req: IncomingMessage, res: ServerResponse, url: URL): Promise<[string, number]> {
    const name = url.pathname.split('/')[3] ?? '';
    const entry = entries.find((e) => e.blob === name);
    if (!entry || url.searchParams.get('sig') !== entry.sig) {
      await readBody(req);
      storageError(res, 403, 'AuthenticationFailed');
      return ['denied', 403];
    }
    const comp = url.searchParams.get('comp');
    if (req.method === 'GET') {
      if (!entry.finalized) {
        storageError(res, 404, 'BlobNotFound');
        return ['get-blob', 404];
      }
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': entry.size,
        ...blobHeaders(),
      });
      // Logged once the answer starts, not when the socket finishes: the job may have read
      // every byte and exited before this server sees its response finish.
      pipeline(createReadStream(blobPath(entry)), res).catch(() => res.destroy());
      return ['get-blob', 200];
    }
    if (req.method !== 'PUT' || entry.finalized) {
      await readBody(req);
      storageError(res, 409, 'OperationNotAllowed');
      return ['refused', 409];
    }
    if (comp === null) {
      if (req.headers['x-ms-blob-type'] !== 'BlockBlob') {
        await readBody(req);
        storageError(res, 400, 'MissingRequiredHeader');
        return ['put-blob', 400];
      }
      await pipeline(req, createWriteStream(blobPath(entry)));
      res.writeHead(201, { 'content-length': 0, ...blobHeaders() });
      res.end();
      return ['put-blob', 201];
    }
    if (comp === 'block') {
      const blockId = url.searchParams.get('blockid') ?? '';
      if (blockId === '') {
        await readBody(req);
        storageError(res, 400, 'InvalidQueryParameterValue');
        return ['put-block', 400];
      }
      await pipeline(req, createWriteStream(blockPath(entry, blockId)));
      res.writeHead(201, { 'content-length': 0, ...blobHeaders() });
      res.end();
      return ['put-block', 201];
    }
    if (comp === 'blocklist') {
      const xml = (await readBody(req)).toString('utf8');
      const ids = [...xml.matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map((m) => m[1]!);
      await writeFile(blobPath(entry), '');
      for (const id of ids) {
        await pipeline(createReadStream(blockPath(entry, id)), createWriteStream(blobPath(entry), { flags: 'a' }));
      }
      res.writeHead(201, { 'content-length': 0, ...blobHeaders() });
      res.end();
      return ['put-block-list', 201];
    }
    await readBody(req);
    storageError(res, 400, 'UnsupportedQueryParameter');
    return ['unsupported', 400];
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (k.startsWith('x-ms-') || k === 'content-length' || k === 'content-type') headers[k] = String(v);
    const work = url.pathname.startsWith(SERVICE)
      ? twirp(url.pathname.slice(SERVICE.length), req, res).then((status): [string, number] => [
          url.pathname.slice(SERVICE.length),
          status,
        ])
      : blob(req, res, url);
    work.then(
      ([operation, status]) =>
        requests.push({ method: req.method ?? '', path: url.pathname, operation, status, headers }),
      (err: unknown) => {
        requests.push({ method: req.method ?? '', path: url.pathname, operation: 'crashed', status: 500, headers });
        if (!res.headersSent) json(res, 500, { msg: String(err) });
        else res.destroy();
      },
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await mkdir(dir, { recursive: true });

  return {
    url: origin,
    token,
    requests,
    entries: () => entries.map((e) => ({ ...e })),
    env: () => ({ ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_RESULTS_URL: `${origin}/`, ACTIONS_RUNTIME_TOKEN: token }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Reads a blob the server holds (for tests of the server itself). */
export async function readBlob(server: CacheServer, key: string): Promise<Buffer | undefined> {
  const e = server.entries().find((x) => x.key === key && x.finalized);
  if (!e) return undefined;
  const res = await fetch(`${server.url}/${ACCOUNT}/${CONTAINER}/${e.blob}?sig=${encodeURIComponent(e.sig)}`);
  return res.ok ? Buffer.from(await res.arrayBuffer()) : undefined;
}
