import { lstat, mkdir, readdir, rename } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Exchange, Router } from '../../http.js';
import { readJson, sendJson } from '../../http.js';
import type { SandboxContext } from '../../context.js';
import { SandboxError, badRequest, notFound, permissionDenied } from '../../errors.js';
import type { SandboxEndpoint } from '../../model.js';
import { resolveEndpointPath } from '../../paths.js';
import { endpointIdParam, requireDataAccess, transferToken, visibleEndpoint } from '../caller.js';
import { endpointPathMapper, fileDocument, type EndpointPathOf, type FileDocument } from './document.js';
import { parseFilter, parseOrderBy } from './listing.js';
import { boolParam, intParam } from '../query.js';

/** Most entries one `ls` answers with, and its default page size, as the real service. */
export const LS_LIMIT_MAX = 100_000;
/** Entries described at once while listing; bounds open file handles on big folders. */
const STAT_BATCH = 64;

const route = (op: string): RegExp => new RegExp(`^/v0\\.10/operation/endpoint/(?<id>[^/]+)/${op}/?$`);

/** `ls`, `stat`, `mkdir` and `rename` under `/v0.10/operation/endpoint/<id>/`. */
export function operationRoutes(router: Router, ctx: SandboxContext): void {
  const caller = (ex: Exchange) => {
    const token = transferToken(ctx, ex);
    const clientId = token.clientId;
    const endpoint = visibleEndpoint(ctx, endpointIdParam(ex.params), clientId);
    requireDataAccess(token, endpoint);
    if (endpoint.connected === false) {
      throw new SandboxError(
        502,
        'ExternalError.DirListingFailed.GCDisconnected',
        `The GCP endpoint is not currently connected to Globus: ${endpoint.displayName}`,
      );
    }
    return { clientId, endpoint };
  };

  router.on('GET', route('ls'), async (ex) => {
    const { clientId, endpoint } = caller(ex);
    const url = ex.url;
    const rawPath = url.searchParams.get('path') ?? '/~/';
    const showHidden = boolParam(url, 'show_hidden', true);
    const limit = intParam(url, 'limit', LS_LIMIT_MAX, 1, LS_LIMIT_MAX);
    const offset = intParam(url, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    // Several filter parameters: an entry passes when any of them passes it (globus-cli's ls -r --filter).
    const filters = url.searchParams.getAll('filter').map((f) => parseFilter(f));
    const keep = filters.length === 0 ? parseFilter(null) : (doc: FileDocument) => filters.some((f) => f(doc));
    const order = parseOrderBy(url.searchParams.get('orderby'));
    const resolved = await resolveEndpointPath(endpoint, rawPath, clientId, 'read');
    const names = await listNames(resolved.diskPath, resolved.endpointPath);
    const entries = await describeAll(
      showHidden ? names : names.filter((n) => !n.startsWith('.')),
      resolved.diskPath,
      await endpointPathMapper(endpoint),
    );
    const matching = entries.filter(keep).sort(order);
    const page = matching.slice(offset, offset + limit);
    const relative = !rawPath.startsWith('/') || rawPath === '/~' || rawPath.startsWith('/~/');
    sendJson(ex.res, 200, {
      DATA_TYPE: 'file_list',
      DATA: page,
      endpoint: endpoint.id,
      path: withSlash(rawPath),
      absolute_path: relative ? withSlash(resolved.endpointPath) : null,
      rename_supported: true,
      symlink_supported: true,
      length: page.length,
      total: matching.length,
    });
  });

  router.on('GET', route('stat'), async (ex) => {
    const { clientId, endpoint } = caller(ex);
    const resolved = await resolveEndpointPath(endpoint, ex.url.searchParams.get('path'), clientId, 'read');
    const name = resolved.endpointPath === '/' ? '/' : posix.basename(resolved.endpointPath);
    try {
      sendJson(ex.res, 200, await fileDocument(name, resolved.diskPath, await endpointPathMapper(endpoint)));
    } catch (err) {
      if (isMissing(err)) throw new SandboxError(404, 'NotFound', `Path ${resolved.endpointPath} does not exist`);
      throw fsError(err, resolved.endpointPath);
    }
  });

  router.on('POST', route('mkdir'), async (ex) => {
    const { clientId, endpoint } = caller(ex);
    const body = await bodyOfType(ex, 'mkdir');
    const resolved = await resolveEndpointPath(endpoint, body.path, clientId, 'write');
    try {
      await mkdir(resolved.diskPath);
    } catch (err) {
      const code = errno(err);
      if (code === 'EEXIST')
        throw new SandboxError(
          502,
          'ExternalError.MkdirFailed.Exists',
          `Path already exists: ${resolved.endpointPath}`,
        );
      if (isMissing(err)) throw missingParent(ctx, resolved.endpointPath);
      throw fsError(err, resolved.endpointPath);
    }
    sendJson(ex.res, 202, {
      DATA_TYPE: 'mkdir_result',
      code: 'DirectoryCreated',
      message: 'The directory was created successfully',
      ...trail(ex),
    });
  });

  router.on('POST', route('rename'), async (ex) => {
    const { clientId, endpoint } = caller(ex);
    const body = await bodyOfType(ex, 'rename');
    const from = await resolveEndpointPath(endpoint, body.old_path, clientId, 'write');
    const to = await resolveEndpointPath(endpoint, body.new_path, clientId, 'write');
    for (const p of [from.endpointPath, to.endpointPath]) {
      if (isStorageRoot(endpoint, p))
        throw badRequest(`${p} is a root folder of the endpoint and cannot be renamed or replaced`);
    }
    // Globus refuses a rename onto a path that exists ("The new path must not yet exist");
    // the answer's code is unverified, so it is a switch.
    const collision = ctx.world.behaviour.rename_collision;
    if (
      collision !== 'replace' &&
      (await lstat(to.diskPath).then(
        () => true,
        () => false,
      ))
    ) {
      if (collision === '409-conflict')
        throw new SandboxError(
          409,
          'Conflict',
          `Cannot rename ${from.endpointPath} to ${to.endpointPath}: the new path already exists`,
        );
      throw new SandboxError(
        502,
        'ExternalError.RenameFailed.Exists',
        `Cannot rename ${from.endpointPath} to ${to.endpointPath}: File exists`,
      );
    }
    try {
      // One rename(2): atomic; with rename_collision 'replace' it replaces a file at new_path, as POSIX.
      await rename(from.diskPath, to.diskPath);
    } catch (err) {
      const code = errno(err);
      if (code === 'ENOENT') {
        const sourceThere = await lstat(from.diskPath).then(
          () => true,
          () => false,
        );
        throw notFound(sourceThere ? `Folder of ${to.endpointPath}` : `Path ${from.endpointPath}`);
      }
      if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'EISDIR' || code === 'ENOTDIR') {
        throw new SandboxError(
          409,
          'Conflict',
          `Cannot rename ${from.endpointPath} to ${to.endpointPath}: the destination is a folder that cannot be replaced, or a file where a folder should go`,
        );
      }
      if (code === 'EINVAL') throw badRequest(`Cannot move ${from.endpointPath} into itself`);
      throw fsError(err, from.endpointPath);
    }
    sendJson(ex.res, 200, {
      DATA_TYPE: 'result',
      code: 'FileRenamed',
      message: 'File or directory renamed successfully',
      ...trail(ex),
    });
  });
}

async function listNames(diskPath: string, endpointPath: string): Promise<string[]> {
  try {
    return await readdir(diskPath);
  } catch (err) {
    if (errno(err) === 'ENOENT') throw notFound(`Directory ${endpointPath}`);
    if (errno(err) === 'ENOTDIR') {
      throw new SandboxError(
        502,
        'ExternalError.DirListingFailed.NotDirectory',
        `Cannot list ${endpointPath}: it is not a directory`,
      );
    }
    throw fsError(err, endpointPath);
  }
}

/** The `file` documents of a folder's entries; entries that vanish meanwhile are left out. */
async function describeAll(names: string[], folder: string, toEndpointPath: EndpointPathOf): Promise<FileDocument[]> {
  const docs: FileDocument[] = [];
  for (let i = 0; i < names.length; i += STAT_BATCH) {
    const batch = names.slice(i, i + STAT_BATCH).map((name) =>
      fileDocument(name, join(folder, name), toEndpointPath).catch((err: unknown) => {
        if (isMissing(err)) return undefined;
        throw err;
      }),
    );
    for (const doc of await Promise.all(batch)) if (doc) docs.push(doc);
  }
  return docs;
}

async function bodyOfType(ex: Exchange, dataType: string): Promise<Record<string, unknown>> {
  const body = await readJson(ex.req);
  if (body.DATA_TYPE !== undefined && body.DATA_TYPE !== dataType) {
    throw badRequest(`DATA_TYPE must be '${dataType}', not '${String(body.DATA_TYPE)}'`);
  }
  return body;
}

/** `request_id` and `resource` of a result document, as on errors. */
const trail = (ex: Exchange) => ({ request_id: ex.requestId, resource: ex.url.pathname.replace(/^\/v0\.10/, '') });

const withSlash = (path: string): string => (path.endsWith('/') ? path : `${path}/`);

/** `/` of a collection, or one of a personal endpoint's config-paths folders. */
function isStorageRoot(endpoint: SandboxEndpoint, endpointPath: string): boolean {
  if (endpointPath === '/') return true;
  return (endpoint.configPaths ?? []).some((c) => posix.normalize(`${c.path}/`) === `${endpointPath}/`);
}

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;
const isMissing = (err: unknown): boolean => errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR';

/** A file-system failure as a Transfer error; unknown ones stay internal errors. */
function fsError(err: unknown, endpointPath: string): unknown {
  const code = errno(err);
  if (code === 'EACCES' || code === 'EPERM') return permissionDenied(`The endpoint may not access ${endpointPath}`);
  if (code === 'ENAMETOOLONG') return badRequest(`Path ${endpointPath} is too long for the file system`);
  return err;
}

/** mkdir whose parent folder is missing: the answer is unverified, so a switch picks it. */
function missingParent(ctx: SandboxContext, endpointPath: string): SandboxError {
  if (ctx.world.behaviour.mkdir_missing_parent === '404-not-found') return notFound(`Parent folder of ${endpointPath}`);
  return new SandboxError(
    502,
    'ExternalError.MkdirFailed',
    `Command failed: mkdir ${endpointPath}: No such file or directory`,
  );
}
