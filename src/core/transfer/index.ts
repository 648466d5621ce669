/**
 * Typed calls of the Globus Transfer API v0.10: each takes the `TransferApi` (token, scopes,
 * retry policy, network) as its first argument.
 */
export { TransferApi, type TransferClientOptions } from './api.js';
export { listAccessRules, createAccessRule, updateAccessRule, deleteAccessRule } from './access.js';
export { searchEndpoints, getEndpoint } from './endpoints.js';
export { ls, stat, mkdir, rename } from './operations.js';
export { submissionId, submitTransfer, submitDelete, getTask, cancelTask, events, type TransferItem } from './tasks.js';
export { waitForTask, type WaitOptions, type TaskState } from './wait.js';
export type * from './documents.js';
