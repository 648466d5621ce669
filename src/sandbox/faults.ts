/**
 * Fault injection and the request log. Tests (through the admin API or in process) add
 * rules; the dispatcher and the handlers consult them. STUB: the fault helper fills this in.
 */

export type FaultAction =
  /** Answer with this status (and Transfer error `code`, `Retry-After` seconds, or a raw non-JSON body). */
  | { kind: 'status'; status: number; code?: string; message?: string; retryAfter?: number; rawBody?: string; extra?: Record<string, unknown> }
  /** Destroy the connection: before answering, or after `afterBytes` bytes of the request or response body. */
  | { kind: 'reset'; afterBytes?: number }
  /** Wait before handling. */
  | { kind: 'delay'; ms: number }
  /** Serve the response body with the byte at `offset` (default: the middle) flipped. */
  | { kind: 'corrupt'; offset?: number }
  /** The next matching task ends FAILED with this fatal_error code. */
  | { kind: 'task-fail'; code: string; description?: string }
  /** The next matching task stays INACTIVE with this nice_status until released or cancelled. */
  | { kind: 'task-inactive'; niceStatus?: string };

export interface FaultMatch {
  /** HTTP method, upper case. */
  method?: string;
  /** Regular expression source tested against the request path (without query). */
  path?: string;
  /** `main` (Auth + Transfer), or a collection id for its HTTPS server. */
  origin?: string;
  /** For task faults: TRANSFER or DELETE. */
  taskType?: 'TRANSFER' | 'DELETE';
}

export interface FaultRule {
  id: string;
  match: FaultMatch;
  action: FaultAction;
  /** How many more matching requests it applies to. */
  times: number;
}

export interface LoggedRequest {
  time: string;
  origin: string;
  method: string;
  path: string;
  query: string;
  status: number;
  clientId?: string;
  requestId: string;
  fault?: FaultAction['kind'];
}

export class FaultBook {
  readonly rules: FaultRule[] = [];
  readonly log: LoggedRequest[] = [];
}
