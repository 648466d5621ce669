import { canSee } from '../../access.js';
import { findEndpoint, type SandboxContext } from '../../context.js';
import { SandboxError, badRequest, notFound } from '../../errors.js';
import type { SandboxEndpoint } from '../../model.js';
import {
  CHECKSUM_ALGORITHMS,
  type ChecksumAlgorithm,
  type DeleteItem,
  type SyncLevel,
  type TaskOptions,
  type TransferItem,
} from './model.js';

/**
 * Checks a `transfer` or `delete` submission the way the service does at submit time:
 * shape, DATA_TYPE, items, endpoints the caller can see. Whether the paths exist or may
 * be written is found out by the task, as on the real service.
 */

export const DEFAULT_DEADLINE_MS = 24 * 3600 * 1000;
const MAX_ITEMS = 10_000;
const MAX_LABEL = 128;

export interface TransferSubmission {
  submissionId: string;
  source: SandboxEndpoint;
  destination: SandboxEndpoint;
  items: TransferItem[];
  options: TaskOptions;
}

export interface DeleteSubmission {
  submissionId: string;
  endpoint: SandboxEndpoint;
  items: DeleteItem[];
  options: TaskOptions;
}

/** The submission_id of a body; checked first so a reused id can be answered as a duplicate. */
export function submissionIdOf(body: Record<string, unknown>, dataType: 'transfer' | 'delete'): string {
  if (body.DATA_TYPE !== dataType)
    throw badRequest(`DATA_TYPE must be "${dataType}"`, 'ClientError.BadRequest.BadDataType');
  const id = body.submission_id;
  if (id === undefined || id === null) throw badRequest('A submission_id is required; get one from GET /submission_id');
  if (typeof id !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(id))
    throw badRequest('submission_id must be an id from GET /submission_id');
  return id;
}

export function parseTransfer(
  ctx: SandboxContext,
  clientId: string,
  body: Record<string, unknown>,
  now: Date,
): TransferSubmission {
  const submissionId = submissionIdOf(body, 'transfer');
  const source = visibleEndpoint(ctx, clientId, body.source_endpoint, 'source_endpoint');
  const destination = visibleEndpoint(ctx, clientId, body.destination_endpoint, 'destination_endpoint');
  const data = itemsOf(body, 'ClientError.BadRequest.NoTransferItems', 'A transfer needs at least one item in DATA');
  const items = data.map((raw, i): TransferItem => {
    const item = objectItem(raw, i);
    if (item.DATA_TYPE !== 'transfer_item')
      throw badRequest(`DATA[${i}].DATA_TYPE must be "transfer_item"`, 'ClientError.BadRequest.BadDataType');
    const recursive = booleanField(item.recursive, `DATA[${i}].recursive`, false);
    return {
      sourcePath: pathField(item.source_path, `DATA[${i}].source_path`),
      destinationPath: pathField(item.destination_path, `DATA[${i}].destination_path`),
      recursive,
      ...checksumOf(item, i, recursive),
    };
  });
  return { submissionId, source, destination, items, options: optionsOf(body, now, ctx.world.behaviour.time_scale) };
}

export function parseDelete(
  ctx: SandboxContext,
  clientId: string,
  body: Record<string, unknown>,
  now: Date,
): DeleteSubmission {
  const submissionId = submissionIdOf(body, 'delete');
  const endpoint = visibleEndpoint(ctx, clientId, body.endpoint, 'endpoint');
  const data = itemsOf(body, 'ClientError.BadRequest.NoDeleteItems', 'A delete needs at least one item in DATA');
  const items = data.map((raw, i): DeleteItem => {
    const item = objectItem(raw, i);
    if (item.DATA_TYPE !== 'delete_item')
      throw badRequest(`DATA[${i}].DATA_TYPE must be "delete_item"`, 'ClientError.BadRequest.BadDataType');
    return { path: pathField(item.path, `DATA[${i}].path`) };
  });
  return { submissionId, endpoint, items, options: optionsOf(body, now, ctx.world.behaviour.time_scale) };
}

function visibleEndpoint(ctx: SandboxContext, clientId: string, id: unknown, field: string): SandboxEndpoint {
  if (typeof id !== 'string' || id === '') throw badRequest(`${field} is required`);
  const endpoint = findEndpoint(ctx, id);
  if (!endpoint || !canSee(endpoint, clientId)) throw notFound(`Endpoint ${id}`);
  return endpoint;
}

function itemsOf(body: Record<string, unknown>, emptyCode: string, emptyMessage: string): unknown[] {
  const data = body.DATA;
  if (data !== undefined && !Array.isArray(data)) throw badRequest('DATA must be a list of items');
  if (!data || data.length === 0) throw badRequest(emptyMessage, emptyCode);
  if (data.length > MAX_ITEMS) throw badRequest(`At most ${MAX_ITEMS} items per task`);
  return data;
}

function objectItem(raw: unknown, i: number): Record<string, unknown> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw badRequest(`DATA[${i}] must be an object`);
  return raw as Record<string, unknown>;
}

function pathField(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw badRequest(`${field} is required`);
  return value;
}

/** `external_checksum` (hex) and `checksum_algorithm` of a file item; the algorithm defaults to MD5 as Transfer's. */
function checksumOf(
  item: Record<string, unknown>,
  i: number,
  recursive: boolean,
): Pick<TransferItem, 'externalChecksum' | 'checksumAlgorithm'> {
  const checksum = item.external_checksum;
  const algorithm = item.checksum_algorithm;
  if (checksum === undefined || checksum === null) {
    if (algorithm !== undefined && algorithm !== null)
      throw badRequest(`DATA[${i}].checksum_algorithm needs an external_checksum`);
    return {};
  }
  if (recursive) throw badRequest(`DATA[${i}].external_checksum is for a file, not a recursive item`);
  if (typeof checksum !== 'string' || !/^[0-9a-fA-F]+$/.test(checksum))
    throw badRequest(`DATA[${i}].external_checksum must be a hexadecimal checksum`);
  const name = algorithm === undefined || algorithm === null ? 'MD5' : algorithm;
  if (typeof name !== 'string' || !(name.toUpperCase() in CHECKSUM_ALGORITHMS)) {
    throw badRequest(`DATA[${i}].checksum_algorithm must be one of ${Object.keys(CHECKSUM_ALGORITHMS).join(', ')}`);
  }
  return { externalChecksum: checksum.toLowerCase(), checksumAlgorithm: name.toUpperCase() as ChecksumAlgorithm };
}

function booleanField(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw badRequest(`${field} must be true or false`);
  return value;
}

const SYNC_NAMES: Record<string, SyncLevel> = { exists: 0, size: 1, mtime: 2, checksum: 3 };

function syncLevelOf(value: unknown): SyncLevel | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && [0, 1, 2, 3].includes(value)) return value as SyncLevel;
  if (typeof value === 'string' && value in SYNC_NAMES) return SYNC_NAMES[value]!;
  throw badRequest('sync_level must be 0-3 or one of exists, size, mtime, checksum');
}

function deadlineOf(value: unknown, now: Date, timeScale: number): Date {
  if (value === undefined || value === null)
    return new Date(now.getTime() + Math.max(1, Math.round(DEFAULT_DEADLINE_MS * timeScale)));
  const parsed = typeof value === 'string' ? new Date(value.replace(' ', 'T')) : new Date(NaN);
  if (Number.isNaN(parsed.getTime())) throw badRequest('deadline must be an ISO 8601 date and time');
  return parsed;
}

function optionsOf(body: Record<string, unknown>, now: Date, timeScale: number): TaskOptions {
  const label = body.label;
  if (label !== undefined && label !== null && (typeof label !== 'string' || label.length > MAX_LABEL)) {
    throw badRequest(`label must be a string of at most ${MAX_LABEL} characters`);
  }
  const options: TaskOptions = {
    label: typeof label === 'string' ? label : null,
    deadline: deadlineOf(body.deadline, now, timeScale),
    deadlineGiven: body.deadline !== undefined && body.deadline !== null,
    syncLevel: syncLevelOf(body.sync_level),
    verifyChecksum: booleanField(body.verify_checksum, 'verify_checksum', false),
    preserveTimestamp: booleanField(body.preserve_timestamp, 'preserve_timestamp', false),
    encryptData: booleanField(body.encrypt_data, 'encrypt_data', false),
    skipSourceErrors: booleanField(body.skip_source_errors, 'skip_source_errors', false),
    failOnQuotaErrors: booleanField(body.fail_on_quota_errors, 'fail_on_quota_errors', false),
    deleteDestinationExtra: booleanField(body.delete_destination_extra, 'delete_destination_extra', false),
    recursive: booleanField(body.recursive, 'recursive', false),
    ignoreMissing: booleanField(body.ignore_missing, 'ignore_missing', false),
  };
  // The sandbox sends no e-mail; the notify flags (true by default on Globus) are only checked.
  for (const key of ['notify_on_succeeded', 'notify_on_failed', 'notify_on_inactive'])
    booleanField(body[key], key, true);
  if (options.deleteDestinationExtra) {
    throw new SandboxError(400, 'ClientError.BadRequest', 'The sandbox does not support delete_destination_extra');
  }
  return options;
}
