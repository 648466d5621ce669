/**
 * The core's one error class. `code` is stable (front ends and scripts switch on it);
 * `message` is one line that says what went wrong and what to do; `requestId` is the
 * Globus request id when a Globus service answered.
 */
export type ErrorCode =
  | 'INVALID_REFERENCE' // an image reference or URI that does not parse
  | 'INVALID_INPUT' // any other bad argument or option
  | 'INSECURE_URL' // plain http to a host that is not loopback
  | 'AUTH_FAILED' // Globus Auth refused the client (wrong id/secret) or a token
  | 'CONSENT_REQUIRED' // Transfer wants more scopes than the client got
  | 'PERMISSION_DENIED' // no (write) permission on the endpoint or path
  | 'NOT_FOUND' // image, tag, path or endpoint does not exist
  | 'AMBIGUOUS' // a display name matched more than one endpoint, or a short local reference more than one image
  | 'CONFLICT' // already exists / duplicate submission
  | 'RATE_LIMITED' // 429 after the retries ran out
  | 'SERVICE_UNAVAILABLE' // 5xx after the retries ran out
  | 'EXTERNAL_ERROR' // the endpoint (GCS/GCP) failed: ExternalError.*, EndpointError
  | 'NETWORK' // connection refused/reset after the retries ran out
  | 'PROXY' // the proxy refused, could not be reached or would not tunnel
  | 'TIMEOUT' // a request or a wait ran past its time
  | 'ABORTED' // the caller aborted
  | 'CHECKSUM_MISMATCH' // bytes did not match the expected SHA-256
  | 'TASK_FAILED' // a Transfer task ended FAILED
  | 'TASK_INACTIVE' // a Transfer task is held INACTIVE
  | 'INVALID_RESPONSE' // a service answered something unusable
  | 'UNSAFE_PATH' // a name that would leave the registry root or local storage
  | 'NO_REGISTRY' // no registry found on the endpoint
  | 'LOCAL_IO' // reading or writing a local file failed
  | 'SIGNATURE_INVALID' // a SIF signature does not hold (the signed bytes changed, or a forged signature)
  | 'UNSIGNED' // a signature was required and the image has none (or leaves objects unsigned)
  | 'UNTRUSTED_SIGNER' // a SIF signature holds, but its signer is not in the keyring
  | 'GLOBUS_ERROR'; // any other Globus error

export interface ErrorDetails {
  /** HTTP status of the answer that caused it. */
  status?: number;
  /** Globus `request_id`. */
  requestId?: string;
  /** Globus error `code`, e.g. `EndpointPermissionDenied`. */
  globusCode?: string;
  /** Scopes Globus named in a ConsentRequired answer (`required_scopes`). */
  requiredScopes?: string[];
  cause?: unknown;
}

export class SregistryError extends Error {
  readonly code: ErrorCode;
  readonly status?: number;
  readonly requestId?: string;
  readonly globusCode?: string;
  readonly requiredScopes?: string[];

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SregistryError';
    this.code = code;
    if (details.status !== undefined) this.status = details.status;
    if (details.requestId !== undefined) this.requestId = details.requestId;
    if (details.globusCode !== undefined) this.globusCode = details.globusCode;
    if (details.requiredScopes !== undefined) this.requiredScopes = [...details.requiredScopes];
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.requestId !== undefined ? { request_id: this.requestId } : {}),
      ...(this.globusCode !== undefined ? { globus_code: this.globusCode } : {}),
      ...(this.requiredScopes !== undefined ? { required_scopes: this.requiredScopes } : {}),
    };
  }
}

export const isSregistryError = (err: unknown): err is SregistryError => err instanceof SregistryError;
