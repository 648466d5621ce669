/** HTTP transport of the core: one keep-alive agent, retry policy, Globus error mapping. */
export { closeHttp } from './agent.js';
export {
  request,
  requestJson,
  DEFAULT_TIMEOUT_MS,
  type RequestOptions,
  type HttpResponse,
  type BodyData,
  type BodyFactory,
  type QueryValue,
  type ApiCall,
} from './request.js';
export {
  DEFAULT_RETRY,
  retryPolicy,
  abortableSleep,
  backoffDelay,
  parseRetryAfter,
  isRetryableStatus,
  type RetryPolicy,
  type RetryInfo,
  type SleepFn,
} from './retry.js';
export {
  errorFromAnswer,
  errorCodeFor,
  parseGlobusError,
  safeText,
  type ErrorContext,
  type GlobusErrorInfo,
} from './globus-error.js';
export { assertSecureUrl, isLoopbackHost } from './secure-url.js';
export { ERROR_BODY_LIMIT } from './body.js';
