/**
 * watch: check a collection, a name or one tag of a name at an interval and report each
 * complete version not seen before, optionally pulling it first.
 *
 * Each check lists every watched folder once: the image folder of a name (or of a tag's
 * name), or, for a collection, the collection folder and then each name folder in it.
 * Versions are learnt only through the catalog (`listNames`, `listVersions`), never from
 * file names, so the watch does not depend on the layout.
 *
 * What was seen lives in a state object the caller keeps (and persists): on the first
 * check the versions already there become "seen" without being reported, unless
 * `fromStart`. A version is marked seen only after it was reported (and pulled when
 * asked), so a crash between the two reports it again: at least once, never lost.
 */
import { SregistryError, isSregistryError, type ErrorCode } from '../../errors.js';
import { timerAt } from '../../http/retry.js';
import { imageFolder, isPlainObject, webAppUrl } from '../../layout.js';
import {
  formatGlobusUri,
  formatWatchTarget,
  isValidName,
  isValidVersion,
  parseWatchTarget,
  type WatchTarget,
} from '../../uri.js';
import { listNames, listVersions, type PublishedVersion } from '../lookup/listing.js';
import { mapLimited } from '../map-limited.js';
import { pull } from './pull.js';
import { isDownloadVerdict } from '../signatures.js';
import { locateRoot } from '../lookup/root.js';
import type { EndpointInfo } from '../endpoint.js';
import type { Session } from '../session.js';
import type { ImageResult, TransportOptions, VerifyPolicy } from '../types.js';

/** Listing times have one-second resolution: checking more often cannot tell more, and only adds calls. */
export const MIN_WATCH_INTERVAL_MS = 1000;
export const DEFAULT_WATCH_INTERVAL_MS = 60_000;
const STATE_FORMAT = 1;

/** What a watch has seen; plain JSON, to be kept by the caller between runs. */
export interface WatchState {
  format: 1;
  /** The watch target, canonical: a state belongs to one target. */
  target: string;
  /** A first check has fully succeeded: a name without an entry in `seen` is new. */
  primed: boolean;
  /** Versions seen, per `collection/name`. Versions no longer listed are forgotten. */
  seen: Record<string, string[]>;
  /** When the last check that listed everything started, ISO 8601. */
  lastCheck?: string;
}

/** One new version, as a watch reports it. */
export interface WatchedVersion {
  /** `globus://<endpoint id>/<collection>/<name>:<tag>@<version>`: ready to pull. */
  uri: string;
  endpoint: string;
  collection: string;
  name: string;
  /** The tag in `uri`: the watched tag, else the first of `tags`. */
  tag: string;
  /** The tags carrying this version when it was seen (for a tag watch, that tag only). */
  tags: string[];
  version: string;
  size?: number;
  /** When it was published: the time of its manifest in the listing. */
  created?: string;
  /** The Globus web app page of the folder holding it. */
  webUrl: string;
  /** With `pull`: the local file, and `pulled` or `cached`. */
  image?: string;
  status?: ImageResult['status'];
  /** With `pull`: the signatures as the pull checked them. */
  signatures?: ImageResult['signatures'];
}

export type WatchEvent =
  | { type: 'version'; version: WatchedVersion; state: WatchState }
  /** A check ended; `failed` folders could not be listed (their `error` events came first). */
  | { type: 'check'; at: string; folders: number; failed: number; found: number; state: WatchState }
  /** Something failed that may pass (a network error, a service answer, a failed pull); the watch goes on. */
  | { type: 'error'; error: SregistryError; state: WatchState };

export interface WatchOptions extends TransportOptions {
  /** Time between the starts of two checks, ms (default 60 s, at least 1 s). */
  intervalMs?: number;
  /** A state from an earlier run of the same target (refused when it is not one). */
  state?: unknown;
  /** On a fresh state, report the versions already there too. */
  fromStart?: boolean;
  /** Pull each new version before reporting it. */
  pull?: boolean;
  /** The signature policy of those pulls, instead of the Registry's `verify`. */
  verify?: VerifyPolicy;
  /** One check, then stop. */
  once?: boolean;
}

/** Runs one step of the watch as a Registry operation (its session, hooks, signal and timeout). */
export type StepRunner = <T>(fn: (session: Session, signal: AbortSignal | undefined) => Promise<T>) => Promise<T>;

/** Errors that no later check can mend: the watch stops with them instead of repeating them. */
const FATAL: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_REFERENCE',
  'INVALID_INPUT',
  'INSECURE_URL',
  'AUTH_FAILED',
  'CONSENT_REQUIRED',
  'PERMISSION_DENIED',
  'AMBIGUOUS',
  'UNSAFE_PATH',
]);

/** A pull refused under the signature policy: the same bytes get the same verdict, so they are not fetched again. */
const REFUSED: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['SIGNATURE_INVALID', 'UNSIGNED', 'UNTRUSTED_SIGNER']);

/** Anything but a SregistryError is a bug, and stops the watch too. */
const isFatal = (err: unknown): boolean => !isSregistryError(err) || FATAL.has(err.code);
const isPassing = (err: unknown): err is SregistryError => !isFatal(err);

/** A fresh state for a target. */
export function newWatchState(target: string): WatchState {
  return { format: STATE_FORMAT, target: formatWatchTarget(parseWatchTarget(target)), primed: false, seen: {} };
}

/** Checks a state read from a file or a context store (untrusted) and returns a clean copy. */
export function restoreWatchState(input: unknown, target: string): WatchState {
  const canonical = formatWatchTarget(parseWatchTarget(target));
  const bad = (why: string): SregistryError =>
    new SregistryError('INVALID_INPUT', `The watch state is not usable (${why}): remove it to start afresh`);
  if (!isPlainObject(input)) throw bad('not a JSON object');
  if (input.format !== STATE_FORMAT) throw bad(`format ${JSON.stringify(input.format)}, expected ${STATE_FORMAT}`);
  if (input.target !== canonical) {
    throw new SregistryError(
      'INVALID_INPUT',
      `The watch state belongs to ${JSON.stringify(input.target)}, not ${canonical}: use another state file for this target`,
    );
  }
  if (typeof input.primed !== 'boolean') throw bad('"primed" is not true or false');
  if (!isPlainObject(input.seen)) throw bad('"seen" is not an object');
  const seen: Record<string, string[]> = {};
  for (const [key, versions] of Object.entries(input.seen)) {
    const [c, n, ...more] = key.split('/');
    if (more.length > 0 || c === undefined || n === undefined || !isValidName(c) || !isValidName(n))
      throw bad(`bad name ${JSON.stringify(key)}`);
    if (!Array.isArray(versions) || !versions.every((v) => typeof v === 'string' && isValidVersion(v)))
      throw bad(`bad versions of ${key}`);
    seen[key] = [...new Set(versions as string[])];
  }
  const state: WatchState = { format: STATE_FORMAT, target: canonical, primed: input.primed, seen };
  if (typeof input.lastCheck === 'string') state.lastCheck = input.lastCheck;
  return state;
}

function checkInterval(ms: number | undefined): number {
  if (ms === undefined) return DEFAULT_WATCH_INTERVAL_MS;
  if (!Number.isFinite(ms) || ms < MIN_WATCH_INTERVAL_MS) {
    throw new SregistryError(
      'INVALID_INPUT',
      `The watch interval must be at least ${MIN_WATCH_INTERVAL_MS / 1000} s, not ${ms} ms`,
    );
  }
  return ms;
}

/** What one check listed: per name, its complete versions; names whose listing failed are absent. */
interface Listed {
  ep: EndpointInfo;
  root: string;
  folders: Map<string, PublishedVersion[]>;
  failures: SregistryError[];
  /** The names the check covered (for a collection: those listed in it). */
  names: string[];
}

async function listTarget(session: Session, target: WatchTarget, signal: AbortSignal | undefined): Promise<Listed> {
  const ep = await session.endpoint(target.endpoint, signal).catch((err: unknown) => {
    // A wrong endpoint does not come right by waiting.
    if (isSregistryError(err) && err.code === 'NOT_FOUND')
      throw new SregistryError('INVALID_INPUT', err.message, { cause: err });
    throw err;
  });
  const within = [target.collection, ...(target.name !== undefined ? [target.name] : [])];
  const { root } = await locateRoot(session, ep, false, signal, within);
  const names =
    target.name !== undefined ? [target.name] : await listNames(session, ep, root, target.collection, signal);
  const folders = new Map<string, PublishedVersion[]>();
  const failures: SregistryError[] = [];
  await mapLimited(names, session.options.concurrency, async (name) => {
    try {
      folders.set(name, await listVersions(session, ep, root, { collection: target.collection, name }, signal));
    } catch (err) {
      if (signal?.aborted || !isPassing(err)) throw err;
      failures.push(err);
    }
  });
  return { ep, root, folders, failures, names };
}

interface Found {
  key: string;
  name: string;
  v: PublishedVersion;
}

/**
 * A running watch: iterate it for its events. It makes no call before iteration starts,
 * and stops (the iteration ends) when the signal aborts.
 */
export class Watch implements AsyncIterable<WatchEvent> {
  readonly target: WatchTarget;
  readonly intervalMs: number;
  readonly #state: WatchState;
  readonly #opts: WatchOptions;
  readonly #run: StepRunner;
  #wake: (() => void) | undefined;
  #wanted = false;
  #started = false;
  /**
   * Per `collection/name`, the versions whose pull the signature policy refused: reported
   * once, not downloaded again while this watch runs (a version is its SHA-256, so its
   * verdict cannot change). In memory only: a new watch tries them again.
   */
  readonly #refused = new Map<string, Set<string>>();

  constructor(run: StepRunner, target: string, opts: WatchOptions = {}) {
    this.target = parseWatchTarget(target);
    this.intervalMs = checkInterval(opts.intervalMs);
    this.#state = opts.state === undefined ? newWatchState(target) : restoreWatchState(opts.state, target);
    this.#opts = opts;
    this.#run = run;
  }

  /** A copy of what has been seen so far. */
  get state(): WatchState {
    return structuredClone(this.#state);
  }

  /** Check as soon as the last check is at least the minimum interval old, instead of waiting for the interval. */
  checkNow(): void {
    if (this.#wake) this.#wake();
    else this.#wanted = true;
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    if (this.#started) throw new SregistryError('INVALID_INPUT', 'A watch can be iterated once; start another watch');
    this.#started = true;
    return this.#events();
  }

  async *#events(): AsyncGenerator<WatchEvent, void, undefined> {
    const signal = this.#opts.signal;
    while (!signal?.aborted) {
      const started = Date.now();
      const startedMono = performance.now();
      this.#wanted = false;
      try {
        yield* this.#check(started);
      } catch (err) {
        if (signal?.aborted) return;
        if (!isPassing(err)) throw err;
        yield { type: 'error', error: err, state: this.state };
      }
      if (this.#opts.once) return;
      await this.#pause(startedMono + this.intervalMs, startedMono + MIN_WATCH_INTERVAL_MS, signal);
    }
  }

  async *#check(started: number): AsyncGenerator<WatchEvent, void, undefined> {
    const t = this.target;
    const listed = await this.#run((session, signal) => listTarget(session, t, signal));
    const state = this.#state;
    const found: Found[] = [];
    for (const [name, all] of listed.folders) {
      const key = `${t.collection}/${name}`;
      const versions =
        t.tag === undefined ? all : all.filter((v) => v.tags.includes(t.tag!)).map((v) => ({ ...v, tags: [t.tag!] }));
      const known = new Set(state.seen[key] ?? []);
      const report = state.primed || key in state.seen || this.#opts.fromStart === true;
      // A refused version no longer listed is forgotten: listed again, it is fetched again.
      const refused = this.#refused.get(key);
      if (refused) for (const v of refused) if (!versions.some((x) => x.version === v)) refused.delete(v);
      // Forget what is no longer listed; keep only what is still there and was seen.
      state.seen[key] = versions.filter((v) => known.has(v.version) || !report).map((v) => v.version);
      if (report) for (const v of versions) if (!known.has(v.version)) found.push({ key, name, v });
    }
    if (t.name === undefined) {
      const present = new Set(listed.names);
      for (const key of Object.keys(state.seen))
        if (!present.has(key.slice(key.indexOf('/') + 1))) delete state.seen[key];
      for (const key of this.#refused.keys())
        if (!present.has(key.slice(key.indexOf('/') + 1))) this.#refused.delete(key);
    }
    for (const error of listed.failures) yield { type: 'error', error, state: this.state };
    found.sort((a, b) => (a.v.published ?? 0) - (b.v.published ?? 0));
    let reported = 0;
    for (const f of found) {
      if (this.#opts.pull && this.#refused.get(f.key)?.has(f.v.version)) continue;
      const version = this.#describe(listed, f);
      if (this.#opts.pull) {
        try {
          const { verify, transport } = this.#opts;
          const pulled = await this.#run((session, signal) =>
            pull(session, version.uri, {
              ...(signal ? { signal } : {}),
              ...(verify ? { verify } : {}),
              ...(transport ? { transport } : {}),
            }),
          );
          if (pulled.image !== undefined) version.image = pulled.image;
          if (pulled.signatures) version.signatures = pulled.signatures;
          version.status = pulled.status;
        } catch (err) {
          if (this.#opts.signal?.aborted || !isPassing(err)) throw err;
          // Not marked seen: the next check tries again, unless the policy refused the bytes it
          // downloaded (not a stored copy, not a read that failed: those may be right next time).
          if (REFUSED.has(err.code) && isDownloadVerdict(err))
            this.#refused.set(f.key, (this.#refused.get(f.key) ?? new Set()).add(f.v.version));
          yield { type: 'error', error: err, state: this.state };
          continue;
        }
      }
      (state.seen[f.key] ??= []).push(f.v.version);
      reported++;
      yield { type: 'version', version, state: this.state };
    }
    if (listed.failures.length === 0) {
      state.primed = true;
      state.lastCheck = new Date(started).toISOString();
    }
    yield {
      type: 'check',
      at: new Date(started).toISOString(),
      folders: listed.folders.size + listed.failures.length,
      failed: listed.failures.length,
      found: reported,
      state: this.state,
    };
  }

  #describe(listed: Listed, f: Found): WatchedVersion {
    const tag = this.target.tag ?? f.v.tags[0]!;
    const ref = { collection: this.target.collection, name: f.name, tag, version: f.v.version };
    const out: WatchedVersion = {
      uri: formatGlobusUri({ endpoint: listed.ep.id, ref }),
      endpoint: listed.ep.id,
      collection: ref.collection,
      name: ref.name,
      tag,
      tags: f.v.tags,
      version: f.v.version,
      webUrl: webAppUrl(listed.ep.id, imageFolder(listed.root, ref)),
    };
    if (f.v.size !== undefined) out.size = f.v.size;
    if (f.v.published !== undefined) out.created = new Date(f.v.published).toISOString();
    return out;
  }

  /** Resolves at `due`, earlier (not before `earliest`) after checkNow(), at once on abort; both on performance.now(). */
  #pause(due: number, earliest: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      let cancel = (): void => undefined;
      const finish = (): void => {
        cancel();
        signal?.removeEventListener('abort', finish);
        this.#wake = undefined;
        resolve();
      };
      const arm = (at: number): void => {
        cancel();
        cancel = timerAt(at, finish);
      };
      arm(due);
      this.#wake = () => arm(Math.min(due, earliest));
      if (this.#wanted) this.#wake();
      signal?.addEventListener('abort', finish, { once: true });
      if (signal?.aborted) finish();
    });
  }
}
