import { isSregistryError } from '../errors.js';
import type { CallOptions, TransferApi } from './api.js';
import type { FileEntry, FileList, OperationResult } from './documents.js';
import { offsetPaged } from './paging.js';
import { dataOf, documentWith } from './shapes.js';

export interface LsOptions extends CallOptions {
  /** Include dot files; the service's default is true. */
  showHidden?: boolean;
  /** Transfer's filter syntax, e.g. `name:~*.sif/type:file`. */
  filter?: string;
  /** e.g. `name ASC`, `last_modified DESC`. */
  orderby?: string;
  /** Entries per request; default 10,000 (the service allows up to 100,000). */
  pageSize?: number;
  /** Called with the server's clock (the HTTP `Date` header) of each page's answer. */
  onServerTime?: (ms: number) => void;
}

export const LS_PAGE_DEFAULT = 10_000;
const LS_PAGE_MAX = 100_000;

export type MkdirOutcome = 'created' | 'exists';

const operationPath = (endpoint: string, op: string): string =>
  `operation/endpoint/${encodeURIComponent(endpoint)}/${op}`;
const on = (endpoint: string): string => `on endpoint ${endpoint}`;

/** A folder's entries, a page at a time. */
export function ls(
  api: TransferApi,
  endpoint: string,
  path: string,
  options: LsOptions = {},
): AsyncIterable<FileEntry> {
  const pageSize = Math.min(LS_PAGE_MAX, Math.max(1, Math.floor(options.pageSize ?? LS_PAGE_DEFAULT)));
  return offsetPaged(
    async (offset, limit) => {
      const page = await api.call<FileList>({
        path: operationPath(endpoint, 'ls'),
        query: {
          path,
          show_hidden: options.showHidden === undefined ? undefined : options.showHidden ? 1 : 0,
          filter: options.filter,
          orderby: options.orderby,
          limit,
          offset,
        },
        action: `listing ${path} ${on(endpoint)}`,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onServerTime ? { onServerTime: options.onServerTime } : {}),
      });
      const items = dataOf<FileEntry>(page, `listing ${path} ${on(endpoint)}`, ['name']);
      const total = typeof page.total === 'number' ? page.total : offset + items.length;
      return { items, more: offset + items.length < total };
    },
    { pageSize },
  );
}

/** One path's file document; undefined when the path does not exist (other failures throw). */
export async function stat(
  api: TransferApi,
  endpoint: string,
  path: string,
  options: CallOptions = {},
): Promise<FileEntry | undefined> {
  try {
    const action = `looking up ${path} ${on(endpoint)}`;
    return documentWith<FileEntry>(
      await api.call<unknown>({ path: operationPath(endpoint, 'stat'), query: { path }, action, ...options }),
      action,
      ['name'],
    );
  } catch (err) {
    if (isPathNotFound(err)) return undefined;
    throw err;
  }
}

/** Creates one folder; an existing one at that path is not an error. */
export async function mkdir(
  api: TransferApi,
  endpoint: string,
  path: string,
  options: CallOptions = {},
): Promise<MkdirOutcome> {
  try {
    await api.call<OperationResult>({
      method: 'POST',
      path: operationPath(endpoint, 'mkdir'),
      json: { DATA_TYPE: 'mkdir', path },
      action: `creating folder ${path} ${on(endpoint)}`,
      ...options,
    });
    return 'created';
  } catch (err) {
    // Also what a retried mkdir meets when the first attempt's answer was lost.
    if (isSregistryError(err) && err.globusCode === 'ExternalError.MkdirFailed.Exists') return 'exists';
    throw err;
  }
}

/** Renames (moves) a file or folder within one endpoint. */
export async function rename(
  api: TransferApi,
  endpoint: string,
  from: string,
  to: string,
  options: CallOptions = {},
): Promise<void> {
  await api.call<OperationResult>({
    method: 'POST',
    path: operationPath(endpoint, 'rename'),
    json: { DATA_TYPE: 'rename', old_path: from, new_path: to },
    action: `renaming ${from} to ${to} ${on(endpoint)}`,
    ...options,
  });
}

/** A path that does not exist, as opposed to an endpoint that does not (EndpointNotFound). */
function isPathNotFound(err: unknown): boolean {
  if (!isSregistryError(err) || err.code !== 'NOT_FOUND') return false;
  return (
    err.globusCode === undefined ||
    err.globusCode === 'NotFound' ||
    err.globusCode === 'ClientError.NotFound' ||
    /^ExternalError\..*NotFound$/.test(err.globusCode)
  );
}
