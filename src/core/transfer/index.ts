/**
 * Typed calls of the Globus Transfer API v0.10: each takes the `TransferApi` (token, scopes,
 * retry policy, network) as its first argument.
 */
export { TransferApi, type TransferClientOptions, type CallOptions } from './api.js';
export { listAccessRules, createAccessRule, updateAccessRule, deleteAccessRule, type NewAccessRule } from './access.js';
export { searchEndpoints, getEndpoint, ENDPOINT_SEARCH_CAP, type EndpointSearchOptions, type EndpointSearchScope } from './endpoints.js';
export { ls, stat, mkdir, rename, LS_PAGE_DEFAULT, type LsOptions, type MkdirOutcome } from './operations.js';
export { submissionId, submitTransfer, submitDelete, getTask, cancelTask, events, type SubmitTransferOptions, type SubmitDeleteOptions, type TransferItem, type Submitted } from './tasks.js';
export { waitForTask, DEFAULT_POLL_MS, DEFAULT_MAX_POLL_MS, DEFAULT_ERROR_GRACE_MS, type WaitOptions, type TaskState } from './wait.js';
export { mergeConsentScopes } from './consent.js';
export type * from './documents.js';
