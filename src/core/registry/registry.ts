import { stat } from 'node:fs/promises';
import { SregistryError, isSregistryError } from '../errors.js';
import { verifySifFile } from '../signing/verify.js';
import { checkFile, keyringOf, signatureGate, signaturesOf } from './signatures.js';
import { openRecords, type Records } from '../records.js';
import { accessList, grant, revoke } from './operations/access.js';
import { deleteImage } from './operations/delete.js';
import { addLocal, removeLocal } from './local/local-images.js';
import { doctor, type DoctorOptions, type DoctorReport } from './operations/doctor.js';
import { inspectLocal, listLocal } from './local/local-records.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import { prune } from './operations/prune.js';
import { pull } from './operations/pull.js';
import { push } from './push/index.js';
import { record, resolve } from './operations/record.js';
import { replicate } from './operations/replicate.js';
import { webAppUrl } from '../layout.js';
import { assertSharedName, caseFoldNote, parseImageUri } from '../uri.js';
import { search } from './operations/search.js';
import { Session, withCallHooks } from './session.js';
import { Watch, type WatchOptions } from './operations/watch.js';
import type {
  AccessListResult,
  CallOptions,
  TransportOptions,
  RegistryEvent,
  GrantOptions,
  GrantResult,
  RevokeResult,
  DeleteOptions,
  DeleteResult,
  ImageResult,
  ImageSignatures,
  LocalImage,
  PruneOptions,
  PruneResult,
  PullOptions,
  VerifyPolicy,
  PushOptions,
  RegistryOptions,
  RemoveResult,
  ReplicateOptions,
  ReplicateResult,
  SearchHit,
  SearchOptions,
} from './types.js';

/**
 * The registry operations every front end exposes. One Registry keeps its tokens,
 * endpoint documents, registry roots and records database for its life; call close()
 * when done.
 */
export class Registry {
  readonly #resolved: ResolvedOptions;
  #session: Session | undefined;
  #db: Records | undefined;

  constructor(readonly options: RegistryOptions) {
    this.#resolved = resolveOptions(options);
  }

  /** Created on first remote use, so that local-only calls need no credentials. */
  #remote(): Session {
    this.#session ??= new Session(this.#resolved, () => this.#records());
    return this.#session;
  }

  #records(): Records {
    this.#db ??= openRecords(this.#resolved.database);
    return this.#db;
  }

  /** Runs one operation under the caller's signal, its own hooks and the timeoutMs option. */
  async #run<T>(opts: CallOptions, fn: (session: Session, signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    const hooks = {
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    };
    return withCallHooks(hooks, () => this.#runTimed(opts.signal, fn));
  }

  async #runTimed<T>(
    signal: AbortSignal | undefined,
    fn: (session: Session, signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    const session = this.#remote();
    const timeoutMs = this.#resolved.timeoutMs;
    if (timeoutMs === undefined) return fn(session, signal);
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      return await fn(session, combined);
    } catch (err) {
      if (
        timeout.aborted &&
        !signal?.aborted &&
        isSregistryError(err) &&
        (err.code === 'ABORTED' || err.code === 'TIMEOUT')
      ) {
        throw new SregistryError(
          'TIMEOUT',
          `The operation did not finish within ${timeoutMs} ms (timeoutMs); raise the timeout or try again`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** Push a local file to `globus://<endpoint>/<collection>/<name>[:<tag>]`; one result per tag. */
  async push(file: string, uri: string, opts: PushOptions = {}): Promise<ImageResult[]> {
    // Records are shared with sregistry-cli: a name it would read as another image is refused before any work.
    assertSharedName(
      parseImageUri(uri, 'push to globus://<endpoint>/<collection>/<name>[:<tag>]').ref,
      opts.tags ?? [],
    );
    this.#noteCase('pushing', opts, [uri, ...(opts.tags ?? [])]);
    return (await this.#run(opts, (s, signal) => push(s, file, uri, { ...opts, ...(signal ? { signal } : {}) }))).map(
      withWebUrl,
    );
  }

  /** Downloads into storage and records it; `verify` overrides the Registry's signature policy for this pull. */
  async pull(uri: string, opts: PullOptions = {}): Promise<ImageResult> {
    this.#noteCase('pulling', opts, [uri]);
    return withWebUrl(
      await this.#run(opts, (s, signal) =>
        pull(s, uri, {
          ...(signal ? { signal } : {}),
          ...(opts.onChunk ? { onChunk: opts.onChunk } : {}),
          ...(opts.verify ? { verify: opts.verify } : {}),
          ...(opts.transport ? { transport: opts.transport } : {}),
        }),
      ),
    );
  }

  /**
   * The one place the case-fold note is made: from what the user wrote (`given`), else
   * from what the call got, as one notice event to this call's and the Registry's listeners.
   */
  #noteCase(verb: string, opts: Pick<CallOptions, 'given' | 'onEvent'>, got: readonly string[]): void {
    const folded = caseFoldNote(opts.given ?? got);
    if (!folded) return;
    const event: RegistryEvent = { type: 'notice', message: `${verb} ${folded}`, warning: true };
    for (const listener of [this.options.onEvent, opts.onEvent]) listener?.(event);
  }

  /** Reads the manifest and writes a local record (no image bytes move). */
  async record(uri: string, opts: TransportOptions = {}): Promise<ImageResult> {
    return withWebUrl(
      await this.#run(opts, (s, signal) =>
        record(s, uri, { ...(signal ? { signal } : {}), ...(opts.transport ? { transport: opts.transport } : {}) }),
      ),
    );
  }

  /** Which version a URI names now and its manifest's facts, as record() gives them, writing nothing (status `resolved`). */
  async resolve(uri: string, opts: TransportOptions = {}): Promise<ImageResult> {
    this.#noteCase('resolving', opts, [uri]);
    return withWebUrl(
      await this.#run(opts, (s, signal) =>
        resolve(s, uri, { ...(signal ? { signal } : {}), ...(opts.transport ? { transport: opts.transport } : {}) }),
      ),
    );
  }

  async search(query?: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
    return this.#run(opts, (s, signal) => search(s, query, { ...opts, ...(signal ? { signal } : {}) }));
  }

  /** Deletes remote versions only (every version of a tag, or the one pinned); local copies and records stay. `dryRun` only lists them. */
  async delete(uri: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    return this.#run(opts, (s, signal) =>
      deleteImage(s, uri, { ...(signal ? { signal } : {}), ...(opts.dryRun ? { dryRun: true } : {}) }),
    );
  }

  /**
   * Watches `globus://<endpoint>/<collection>[/<name>[:<tag>]]` for new versions: iterate
   * the answer for one event per new version (after pulling it, with `pull`), per check and
   * per passing failure. Each check runs as one operation (this call's hooks, timeoutMs).
   */
  watch(target: string, opts: WatchOptions = {}): Watch {
    const { signal, onProgress, onEvent } = opts;
    const callOpts: CallOptions = {
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
      ...(onEvent ? { onEvent } : {}),
    };
    return new Watch((fn) => this.#run(callOpts, fn), target, opts);
  }

  /**
   * Checks the credentials, the endpoint (`globus://<endpoint>`, a UUID or a display name;
   * optional), its registry root, read and write permission, the transport and the local
   * endpoint; with `probe`, also measures the Globus behaviours that are unverified.
   * Never throws for a failed check: `ok` is false and the check says what to do.
   */
  async doctor(endpoint?: string, opts: DoctorOptions & TransportOptions = {}): Promise<DoctorReport> {
    return this.#run(opts, (s, signal) =>
      doctor(s, endpoint, {
        ...(opts.probe ? { probe: true } : {}),
        ...(signal ? { signal } : {}),
        ...(opts.transport ? { transport: opts.transport } : {}),
      }),
    );
  }

  /**
   * Keeps the newest `keep` versions of each name under `globus://<endpoint>[/<collection>[/<name>]]`
   * plus every version a tag resolves to, and deletes the rest with one delete task.
   */
  async prune(scope: string, opts: PruneOptions): Promise<PruneResult> {
    return this.#run(opts, (s, signal) => prune(s, scope, { ...opts, ...(signal ? { signal } : {}) }));
  }

  /**
   * Copies `globus://<endpoint>/<collection>/<name>[:<tag>]` (every tag, or the one named and
   * `tags`) to the registry on `destination` (`globus://<endpoint>`) with one Transfer task.
   */
  async replicate(source: string, destination: string, opts: ReplicateOptions = {}): Promise<ReplicateResult> {
    return this.#run(opts, (s, signal) =>
      replicate(s, source, destination, { ...opts, ...(signal ? { signal } : {}) }),
    );
  }

  /** The access rules of the guest collection `globus://<endpoint>`, placed against the registry root. */
  async accessList(endpoint: string, opts: CallOptions = {}): Promise<AccessListResult> {
    return this.#run(opts, (s, signal) => accessList(s, endpoint, signal));
  }

  /**
   * Lets `principal` read (with `write`: read and write) `globus://<endpoint>[/<collection>[/<name>]]`
   * (the registry root, a collection or a name); a rule already there says so.
   */
  async grant(target: string, principal: string, opts: GrantOptions = {}): Promise<GrantResult> {
    return this.#run(opts, (s, signal) =>
      grant(s, target, principal, { ...(opts.write ? { write: true } : {}), ...(signal ? { signal } : {}) }),
    );
  }

  /** Deletes the access rule `ruleId` of `globus://<endpoint>`. */
  async revoke(endpoint: string, ruleId: string, opts: CallOptions = {}): Promise<RevokeResult> {
    return this.#run(opts, (s, signal) => revoke(s, endpoint, ruleId, signal));
  }

  /**
   * Local record of `[collection/]name[:tag][@version]`, newest first when several match;
   * with its stored file's signatures checked now (unless `verify` is `off`), reported, never thrown.
   */
  async inspect(ref: string, opts: { verify?: VerifyPolicy } = {}): Promise<LocalImage | undefined> {
    const found = inspectLocal(this.#records(), ref);
    if (!found?.image || (opts.verify ?? this.#resolved.verify) === 'off') return found;
    const exists = await stat(found.image).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!exists) return found;
    return { ...found, signatures: signaturesOf(await verifySifFile(found.image, await keyringOf(this.#resolved))) };
  }

  /**
   * Checks a local SIF file's signatures under the policy (this call's `verify`, else the
   * Registry's); throws SIGNATURE_INVALID, UNSIGNED or UNTRUSTED_SIGNER when it does not
   * pass, and answers undefined under `off`.
   */
  async verify(
    file: string,
    opts: { verify?: VerifyPolicy; signal?: AbortSignal } = {},
  ): Promise<ImageSignatures | undefined> {
    const gate = await signatureGate(this.#resolved, opts.verify);
    return checkFile(gate, file, file, 'the file was left as it is', opts.signal);
  }

  async images(query?: string): Promise<LocalImage[]> {
    return listLocal(this.#records(), query);
  }

  /** Copies a local image file into storage and records it under `[collection/]name[:tag]` (sregistry-cli's add). */
  async add(file: string, ref: string, opts: Pick<CallOptions, 'onEvent'> = {}): Promise<LocalImage> {
    this.#noteCase('adding', opts, [ref]);
    return addLocal(this.#records(), this.#resolved.storage, file, ref);
  }

  /** Removes the local records of a reference and the stored files only they named (sregistry-cli's rm). */
  async remove(ref: string): Promise<RemoveResult> {
    return removeLocal(this.#records(), this.#resolved.storage, ref);
  }

  /** Closes the records database; idempotent. */
  async close(): Promise<void> {
    this.#db?.close();
    this.#db = undefined;
  }
}

/** Every result carries the web app page of its folder, whichever operation made it. */
const withWebUrl = (result: ImageResult): ImageResult => ({
  ...result,
  webUrl: webAppUrl(result.endpoint, result.path),
});
