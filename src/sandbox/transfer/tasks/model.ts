import type { SandboxEndpoint } from '../../model.js';

/** What a Transfer task is and how far it got; the task documents are rendered from this. */

export type TaskStatus = 'ACTIVE' | 'INACTIVE' | 'SUCCEEDED' | 'FAILED';
export type TaskType = 'TRANSFER' | 'DELETE';

/** sync_level as numbers: 0 exists, 1 size, 2 mtime, 3 checksum. */
export type SyncLevel = 0 | 1 | 2 | 3;

export interface TransferItem {
  sourcePath: string;
  destinationPath: string;
  recursive: boolean;
  /** The source file's checksum as the submitter knows it (hex), in `checksumAlgorithm`. */
  externalChecksum?: string;
  checksumAlgorithm?: ChecksumAlgorithm;
}

/** The checksum algorithms the sandbox computes for `external_checksum`, by Transfer's names. */
export const CHECKSUM_ALGORITHMS = { MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' } as const;
export type ChecksumAlgorithm = keyof typeof CHECKSUM_ALGORITHMS;

export interface DeleteItem {
  path: string;
}

export interface TaskEvent {
  code: string;
  description: string;
  details: string;
  isError: boolean;
  time: Date;
}

export interface FatalError {
  code: string;
  description: string;
}

/** Live counters the runner updates while the task moves bytes. */
export interface TaskCounters {
  files: number;
  directories: number;
  symlinks: number;
  filesTransferred: number;
  filesSkipped: number;
  bytesTransferred: number;
  bytesChecksummed: number;
  faults: number;
  subtasksTotal: number;
  subtasksSucceeded: number;
  subtasksFailed: number;
  subtasksCanceled: number;
  subtasksExpired: number;
  subtasksPending: number;
  subtasksRetrying: number;
  subtasksSkippedErrors: number;
}

export interface TaskOptions {
  label: string | null;
  /** Globus's default: 24 h from the request (scaled), extended to 72 h on progress for a transfer whose deadline was not given. */
  deadline: Date;
  deadlineGiven: boolean;
  syncLevel: SyncLevel | null;
  verifyChecksum: boolean;
  preserveTimestamp: boolean;
  encryptData: boolean;
  skipSourceErrors: boolean;
  failOnQuotaErrors: boolean;
  deleteDestinationExtra: boolean;
  /** Delete tasks: may remove folders. */
  recursive: boolean;
  /** Delete tasks: a missing path is not an error. */
  ignoreMissing: boolean;
}

export interface SandboxTask {
  id: string;
  type: TaskType;
  ownerClientId: string;
  submissionId: string;
  requestTime: Date;
  /** When the runner started moving data (for effective_bytes_per_second). */
  startTime?: Date;
  completionTime: Date | null;
  status: TaskStatus;
  niceStatus: string | null;
  /** The error the task is retrying, in words, and its details; null while all is well. */
  niceStatusDescription?: string | null;
  niceStatusDetails?: string | null;
  fatalError: FatalError | null;
  /** Delete tasks keep their endpoint here, like the real service. */
  source: SandboxEndpoint;
  destination: SandboxEndpoint | null;
  transferItems: TransferItem[];
  deleteItems: DeleteItem[];
  options: TaskOptions;
  counters: TaskCounters;
  /** Newest last. */
  events: TaskEvent[];
  successful: { sourcePath: string; destinationPath: string }[];
  /** The submit answer, replayed with code Duplicate on a reused submission_id. */
  submitResult: Record<string, unknown>;
  /** Aborted by cancel, deadline or shutdown; the reason says which. */
  abort: AbortController;
  /** Settles when the runner is done with the task. */
  done: Promise<void>;
}

export const zeroCounters = (): TaskCounters => ({
  files: 0,
  directories: 0,
  symlinks: 0,
  filesTransferred: 0,
  filesSkipped: 0,
  bytesTransferred: 0,
  bytesChecksummed: 0,
  faults: 0,
  subtasksTotal: 0,
  subtasksSucceeded: 0,
  subtasksFailed: 0,
  subtasksCanceled: 0,
  subtasksExpired: 0,
  subtasksPending: 0,
  subtasksRetrying: 0,
  subtasksSkippedErrors: 0,
});
