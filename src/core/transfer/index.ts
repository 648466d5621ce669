/** Typed client of the Globus Transfer API v0.10. */
export { TransferClient } from './client.js';
export type { TransferClientOptions, CallOptions } from './api.js';
export type { NewAccessRule } from './access.js';
export { ENDPOINT_SEARCH_CAP, type EndpointSearchOptions, type EndpointSearchScope } from './endpoints.js';
export { LS_PAGE_DEFAULT, type LsOptions, type MkdirOutcome } from './operations.js';
export type { SubmitTransferOptions, SubmitDeleteOptions, TransferItem, Submitted } from './tasks.js';
export { DEFAULT_POLL_MS, DEFAULT_MAX_POLL_MS, DEFAULT_ERROR_GRACE_MS, type WaitOptions, type TaskState } from './wait.js';
export { mergeConsentScopes } from './consent.js';
export type * from './documents.js';
