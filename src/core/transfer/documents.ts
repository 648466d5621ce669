/**
 * The Transfer API v0.10 documents this client reads and writes, with the keys of the
 * real service (see the Globus fixtures). Only keys the core uses are typed strictly; the
 * index signatures keep everything else the service sends.
 */
import type { PrincipalType } from '../principal.js';

export type EntityType =
  | 'GCSv5_endpoint'
  | 'GCSv5_mapped_collection'
  | 'GCSv5_guest_collection'
  | 'GCP_mapped_collection'
  | 'GCP_guest_collection'
  | 'GCSv4_host'
  | 'GCSv4_share'
  | (string & {});

export interface EndpointServer {
  DATA_TYPE: 'server';
  id: number;
  hostname: string | null;
  port: number | null;
  scheme: string | null;
  uri: string | null;
  is_connected: boolean | null;
  is_paused: boolean | null;
  [key: string]: unknown;
}

export interface EndpointDocument {
  DATA_TYPE: 'endpoint';
  id: string;
  display_name: string | null;
  canonical_name?: string | null;
  description: string | null;
  entity_type: EntityType;
  owner_id: string;
  owner_string: string;
  host_endpoint_id: string | null;
  high_assurance: boolean;
  /** The collection's HTTPS origin (GCSv5), e.g. `https://a4969.36fe.dn.glob.us`. */
  https_server: string | null;
  gcs_version: string | null;
  public: boolean;
  non_functional: boolean;
  is_globus_connect?: boolean;
  gcp_connected?: boolean | null;
  gcp_paused?: boolean | null;
  DATA: EndpointServer[];
  [key: string]: unknown;
}

export interface EndpointList {
  DATA_TYPE: 'endpoint_list';
  DATA: EndpointDocument[];
  limit: number;
  offset: number;
  has_next_page: boolean;
}

export type FileType = 'dir' | 'file' | 'invalid_symlink' | (string & {});

export interface FileEntry {
  DATA_TYPE: 'file';
  name: string;
  type: FileType;
  size: number;
  /** `2021-01-15 01:45:50+00:00` */
  last_modified: string;
  /** Octal, e.g. `0755`. */
  permissions: string;
  user: string | null;
  group: string | null;
  link_target: string | null;
  link_size?: number | null;
  [key: string]: unknown;
}

export interface FileList {
  DATA_TYPE: 'file_list';
  DATA: FileEntry[];
  endpoint: string;
  path: string;
  absolute_path: string | null;
  rename_supported: boolean;
  symlink_supported: boolean;
  length: number;
  total: number;
}

/** The answer of mkdir, rename, cancel and similar operations. */
export interface OperationResult {
  DATA_TYPE: string;
  code: string;
  message: string;
  request_id?: string;
  resource?: string;
  [key: string]: unknown;
}

export interface SubmissionIdDocument {
  DATA_TYPE: 'submission_id';
  value: string;
}

export type SyncLevelName = 'exists' | 'size' | 'mtime' | 'checksum';

export interface TransferItemDocument {
  DATA_TYPE: 'transfer_item';
  source_path: string;
  destination_path: string;
  recursive: boolean;
  /** The source file's checksum as we know it; Transfer checks the file against it. */
  external_checksum?: string;
  checksum_algorithm?: string;
}

/** Globus e-mails the submitter about a task unless told not to (each defaults to true). */
export interface NotifyFlags {
  notify_on_succeeded: boolean;
  notify_on_failed: boolean;
  notify_on_inactive: boolean;
}

export interface TransferDocument extends NotifyFlags {
  DATA_TYPE: 'transfer';
  submission_id: string;
  source_endpoint: string;
  destination_endpoint: string;
  DATA: TransferItemDocument[];
  label?: string;
  deadline?: string;
  /** 0 exists, 1 size, 2 mtime, 3 checksum. */
  sync_level?: 0 | 1 | 2 | 3;
  verify_checksum?: boolean;
}

export interface DeleteItemDocument {
  DATA_TYPE: 'delete_item';
  path: string;
}

export interface DeleteDocument extends NotifyFlags {
  DATA_TYPE: 'delete';
  submission_id: string;
  endpoint: string;
  DATA: DeleteItemDocument[];
  recursive: boolean;
  ignore_missing: boolean;
  label?: string;
  deadline?: string;
}

/** The answer of `POST transfer` / `POST delete`; `code` is `Accepted`, or `Duplicate` for a reused submission id. */
export interface SubmitResult {
  DATA_TYPE: 'transfer_result' | 'delete_result';
  code: string;
  message: string;
  request_id: string;
  resource: string;
  submission_id: string;
  task_id: string;
  [key: string]: unknown;
}

export type TaskStatus = 'ACTIVE' | 'INACTIVE' | 'SUCCEEDED' | 'FAILED';

export interface FatalError {
  code: string;
  description: string;
}

export interface TaskDocument {
  DATA_TYPE: 'task';
  task_id: string;
  type: 'TRANSFER' | 'DELETE';
  status: TaskStatus;
  label: string | null;
  nice_status: string | null;
  nice_status_short_description?: string | null;
  fatal_error: FatalError | null;
  faults: number;
  files: number;
  files_transferred: number;
  files_skipped: number;
  directories: number;
  bytes_transferred: number;
  bytes_checksummed: number;
  effective_bytes_per_second: number;
  subtasks_total: number;
  subtasks_pending: number;
  subtasks_succeeded: number;
  subtasks_failed: number;
  subtasks_canceled: number;
  subtasks_expired: number;
  request_time: string;
  completion_time: string | null;
  deadline: string;
  owner_id: string;
  source_endpoint_id: string;
  source_endpoint_display_name: string | null;
  destination_endpoint_id: string | null;
  destination_endpoint_display_name: string | null;
  sync_level: number | null;
  verify_checksum: boolean;
  is_paused: boolean;
  [key: string]: unknown;
}

export interface TaskEvent {
  DATA_TYPE: 'event';
  code: string;
  description: string;
  details: string;
  is_error: boolean;
  time: string;
}

export interface EventList {
  DATA_TYPE: 'event_list';
  DATA: TaskEvent[];
  length: number;
  limit: number;
  offset: number;
  total: number;
}

/** An access rule of a guest collection (`access` document). Rules a role gives have `id` null and `role_id` set. */
export interface AccessRuleDocument {
  DATA_TYPE: 'access';
  id: string | null;
  principal_type: PrincipalType;
  /** Identity or group id; empty for all_authenticated_users and anonymous. */
  principal: string;
  /** A folder, beginning and ending with `/`. */
  path: string;
  permissions: 'r' | 'rw';
  create_time?: string | null;
  expiration_date?: string | null;
  role_id?: string | null;
  role_type?: string | null;
}

export interface AccessListDocument {
  DATA_TYPE: 'access_list';
  DATA: AccessRuleDocument[];
  endpoint?: string;
  length?: number;
}
