/**
 * How the sandbox behaves where real Globus behaviour matters to a client: the switches
 * for what is unverified (each with the strictest plausible answer as its default) and
 * the knobs that scale Globus's numbers down for tests. One typed list, read by the
 * config file, the admin API (`/_sandbox/behaviour`) and whatever reports them.
 * docs/globus-behaviour.md says where each default comes from.
 */

/** The switches for behaviour that is unverified on real Globus, with their values. */
export const SWITCHES = {
  /** Transfer `rename` onto an existing path: refused 502 (code unverified), refused 409, or replaced as POSIX would. */
  rename_collision: ['502-exists', '409-conflict', 'replace'],
  /** Transfer `mkdir` whose parent is missing: 502 `ExternalError.MkdirFailed` "No such file or directory", or 404 `ClientError.NotFound`. */
  mkdir_missing_parent: ['502-mkdir-failed', '404-not-found'],
  /** Collection HTTPS PUT into a folder that does not exist: 409, 404, or the folders are made. */
  https_put_missing_folder: ['409', '404', 'create'],
  /** Collection HTTPS PUT cut mid-body: the bytes received stay at the target name (non-atomic), or nothing is left. */
  https_put_cut: ['partial', 'nothing'],
  /** HTTP Basic client credentials: raw `base64(id:secret)` only (as the SDKs send), or also form-encoded (RFC 6749 2.3.1). */
  basic_credentials: ['raw', 'raw-or-form'],
  /** A 429 of the rate limit: without `Retry-After`, or with it. */
  rate_limit_retry_after: ['none', 'seconds'],
} as const satisfies Record<string, readonly string[]>;

export type SwitchName = keyof typeof SWITCHES;
export type Switches = { -readonly [K in SwitchName]: (typeof SWITCHES)[K][number] };

/** Numbers of the real service that tests scale down. */
export interface Knobs {
  /** Multiplies every task time (deadlines, retry interval, the quick failure of a delete): 1 is Globus's own, 0.001 turns hours into seconds. */
  time_scale: number;
  /** Requests per client in each rate-limit window; 0 turns the limit off. Globus: about 20/s over 10 s. */
  rate_limit_requests: number;
  /** Length of a rate-limit window, ms (not scaled). */
  rate_limit_window_ms: number;
  /** Active tasks of each type (transfer, delete) per client; the rest queue. */
  max_active_tasks: number;
}

export type Behaviour = Switches & Knobs;

export const DEFAULT_BEHAVIOUR: Readonly<Behaviour> = {
  rename_collision: '502-exists',
  mkdir_missing_parent: '502-mkdir-failed',
  https_put_missing_folder: '409',
  https_put_cut: 'partial',
  basic_credentials: 'raw',
  rate_limit_retry_after: 'none',
  time_scale: 1,
  rate_limit_requests: 200,
  rate_limit_window_ms: 10_000,
  max_active_tasks: 3,
};

const KNOBS: Record<keyof Knobs, { min: number; integer: boolean }> = {
  time_scale: { min: 0, integer: false },
  rate_limit_requests: { min: 0, integer: true },
  rate_limit_window_ms: { min: 1, integer: true },
  max_active_tasks: { min: 1, integer: true },
};

export const BEHAVIOUR_KEYS = [...Object.keys(SWITCHES), ...Object.keys(KNOBS)] as (keyof Behaviour)[];

/**
 * Checks a partial behaviour object (from the config file or the admin API); the message
 * of the thrown Error names the key and its allowed values.
 */
export function parseBehaviour(value: unknown, at: string): Partial<Behaviour> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${at} must be an object`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key in SWITCHES) {
      const allowed = SWITCHES[key as SwitchName] as readonly string[];
      if (typeof v !== 'string' || !allowed.includes(v))
        throw new Error(`${at}.${key} must be one of ${allowed.join(', ')}`);
      out[key] = v;
    } else if (key in KNOBS) {
      const rule = KNOBS[key as keyof Knobs];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < rule.min || (rule.integer && !Number.isInteger(v))) {
        throw new Error(`${at}.${key} must be ${rule.integer ? 'an integer' : 'a number'} of at least ${rule.min}`);
      }
      if (key === 'time_scale' && v === 0) throw new Error(`${at}.time_scale must be more than 0`);
      out[key] = v;
    } else {
      throw new Error(`Unknown key ${at}.${key} (allowed: ${BEHAVIOUR_KEYS.join(', ')})`);
    }
  }
  return out as Partial<Behaviour>;
}

/** A Globus duration, ms, scaled by the world's time_scale (at least 1 ms). */
export const scaled = (b: Pick<Knobs, 'time_scale'>, ms: number): number => Math.max(1, Math.round(ms * b.time_scale));
