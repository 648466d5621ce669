/**
 * The registry's public contract: what every front end (CLI, Action, Node-RED) passes in
 * and gets back. Operations live beside this file, one per module.
 */
import type { PrincipalType } from '../principal.js';
import type { ProxySettings } from '../http/agent.js';
import type { ApiCall } from '../http/request.js';
import type { SpeedFloor } from '../http/streamed-exchange.js';
import type { SleepFn } from '../http/retry.js';
import type { VerifyPolicy } from '../signing/policy.js';
import type { ImageSignatureStatus, SignatureCheck } from '../signing/verify.js';

export type { VerifyPolicy, ImageSignatureStatus, SignatureCheck };

/** One Globus API call as the registry reports it: the http layer's record of an answered attempt. */
export type ApiCallLike = ApiCall;

/**
 * The names of the backends registered in transports/index.ts, spelled again here: a type
 * read from that list would close an import cycle (the backends import this file's types).
 */
export type Transport = 'https' | 'transfer';
export type TransportChoice = 'auto' | Transport;

export interface GlobusSettings {
  clientId: string;
  clientSecret: string;
  /** Auth origin; default from GLOBUS_SDK_SERVICE_URL_AUTH / GLOBUS_SDK_ENVIRONMENT, else production. */
  authUrl?: string;
  /** Transfer origin; default from GLOBUS_SDK_SERVICE_URL_TRANSFER / GLOBUS_SDK_ENVIRONMENT, else production. */
  transferUrl?: string;
  /** GLOBUS_SDK_ENVIRONMENT. */
  environment?: string;
}

export interface RegistryOptions {
  globus: GlobusSettings;
  /** Registry root on the remote endpoint (SREGISTRY_GLOBUS_ROOT); sniffed when absent. */
  root?: string;
  transport?: TransportChoice;
  /** Local Globus endpoint for the transfer transport (SREGISTRY_GLOBUS_LOCAL_ENDPOINT). */
  localEndpoint?: string;
  /** Local folder → endpoint path prefixes (SREGISTRY_GLOBUS_LOCAL_PATH_MAP, `localdir=endpointdir[,...]`). */
  localPathMap?: Array<{ local: string; endpoint: string }>;
  /** Local storage folder (SREGISTRY_STORAGE, default ~/.singularity/shub). */
  storage?: string;
  /** Records database (SREGISTRY_DATABASE, default ~/.singularity/sregistry.db). */
  database?: string;
  /** Longest wait for one operation, ms (transfer tasks included). */
  timeoutMs?: number;
  /** Task polling: first interval and cap, ms. */
  pollMs?: number;
  maxPollMs?: number;
  /**
   * How long a task may keep one error in nice_status (Globus retries it until the
   * deadline) or stay INACTIVE before the operation cancels it and fails with that error,
   * ms. Default 5 minutes.
   */
  taskErrorGraceMs?: number;
  /** Most concurrent listing calls during search (default 8). */
  concurrency?: number;
  /** Retry policy of every Globus request (defaults: 5 retries, 500 ms doubling to 10 s). */
  /** rateLimitWindowMs: the wait after a 429 without Retry-After (default Globus's 10 s window). */
  /** `sleep`: how retries wait out their backoff (default: real timers); a test may compress time with its own. */
  retry?: {
    maxRetries?: number;
    baseDelayMs?: number;
    maxDelayMs?: number;
    rateLimitWindowMs?: number;
    sleep?: SleepFn;
  };
  /** Progress and log hooks; the core never writes to the console. */
  onProgress?: (event: ProgressEvent) => void;
  onEvent?: (event: RegistryEvent) => void;
  /** Every access token as it arrives, before any use: front ends mask it (Actions' setSecret). */
  onToken?: (accessToken: string) => void;
  /**
   * The proxies of every request (Auth, Transfer, collection HTTPS). A field left out comes
   * from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, as curl reads them); '' is none.
   */
  proxy?: ProxySettings;
  /**
   * A file body slower than this over a whole window fails the attempt (retried like a
   * reset): curl's --speed-limit/--speed-time. Default 1 KiB/s over 20 s; `false` turns it off.
   */
  speedFloor?: SpeedFloor | false;
  /** What a pull demands of SIF signatures (SREGISTRY_GLOBUS_VERIFY); default `if-signed`. */
  verify?: VerifyPolicy;
  /** Armored OpenPGP public keys whose signatures are trusted (SREGISTRY_GLOBUS_KEYRING); each entry may hold several. */
  keyring?: string[];
}

/** Options with every default filled in, as the operations use them. */
export interface ResolvedOptions extends RegistryOptions {
  transport: TransportChoice;
  verify: VerifyPolicy;
  keyring: string[];
  storage: string;
  database: string;
  pollMs: number;
  maxPollMs: number;
  taskErrorGraceMs: number;
  concurrency: number;
  localPathMap: Array<{ local: string; endpoint: string }>;
}

export interface ProgressEvent {
  /** What moves: bytes over HTTPS, a Transfer task, or local hashing. */
  phase: 'upload' | 'download' | 'transfer' | 'hash';
  /** Image reference the bytes belong to, `collection/name:tag`. */
  image: string;
  bytes: number;
  total?: number;
  taskId?: string;
}

export type RegistryEvent =
  /** A step of the operation, in words (e.g. "resolving tag latest"). */
  | { type: 'step'; message: string }
  /** One Globus API call that was made. */
  | { type: 'call'; call: ApiCallLike }
  /**
   * Something worth telling that is not a failure (e.g. "version already there");
   * `warning` when what was asked was changed to be done (names and tags lower-cased).
   */
  | { type: 'notice'; message: string; warning?: true };

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Progress of this call only (besides the Registry-wide onProgress). */
  onProgress?: (event: ProgressEvent) => void;
  /** Steps, Globus calls and notices of this call only (besides the Registry-wide onEvent). */
  onEvent?: (event: RegistryEvent) => void;
  /**
   * The names and tags as the user wrote them, when the caller built the URI from them
   * (and so lower-cased them): push, pull and resolve say from these which were folded
   * to lower case (one `notice` event, `warning` set). Without it, the URI and tags given.
   */
  given?: readonly string[];
}

/** Per-call options of the operations that move bytes or read files through a transport (pull, record, resolve, push, replicate, doctor, watch's pulls). */
export interface TransportOptions extends CallOptions {
  /** The transport of this call, instead of the Registry's. */
  transport?: TransportChoice;
}

/**
 * Sees every byte of a pulled image once, in file order, in the pull's one pass over it:
 * as it arrives over HTTPS (before it is written), or as the file a Transfer task brought
 * is hashed. `chunk` is valid only during the call; throwing ends the pull with that error
 * and nothing is stored. Offset 0 seen again means the download started over (the file
 * changed on the server). A pull answered from storage ('cached') reads nothing.
 */
export type ChunkObserver = (chunk: Uint8Array, offset: number) => void;

export interface SearchOptions extends CallOptions {
  /** Endpoint (UUID or display name) whose registry to list; without it, endpoints are searched. */
  endpoint?: string;
  /** Also read each hit's manifest (one HTTPS GET per hit) for the signer fingerprints it lists. */
  signers?: boolean;
}

export interface PullOptions extends TransportOptions {
  /** This pull's signature policy, instead of the Registry's `verify`. */
  verify?: VerifyPolicy;
  /** Sees every byte of the image once, in file order, before it is stored; throwing ends the pull with that error. */
  onChunk?: ChunkObserver;
}

/** A key to sign with: armored OpenPGP private key, and its passphrase when it has one. */
export interface SigningKey {
  armoredKey: string;
  passphrase?: string;
  /** Names the key in messages (a file name, a setting); never its content. */
  where?: string;
}

export interface PushOptions extends TransportOptions {
  /** More tags for the same bytes; the image is uploaded once. */
  tags?: string[];
  /** Free-form provenance for the manifest (git sha, run URL...). */
  source?: Record<string, string>;
  /** Push a file without the SIF magic too (legacy squashfs `.simg`); by default such a file is refused. */
  anyFile?: boolean;
  /** Sign what is uploaded (a signed copy; the local file is not changed): the version is the SHA-256 of the signed bytes. */
  signingKey?: SigningKey;
  /** Refuse an image that is not signed whole by signatures that hold (and, with a keyring, by a key in it). */
  requireSigned?: boolean;
}

/**
 * An image's signatures: as a pull checked them, or (record, resolve, push) as its
 * manifest lists their fingerprints, advisory and `not-checked`.
 */
export interface ImageSignatures {
  status: ImageSignatureStatus | 'not-checked';
  signatures: Array<Partial<SignatureCheck> & { fingerprint?: string }>;
  /** Data objects no signature covers (checked only). */
  unsigned?: number[];
  /** Why a descriptor table with signatures in it was not trusted (then `status` is `invalid`). */
  problem?: string;
}

/** What an operation returns for one image: the manifest's facts plus where it is. */
export interface ImageResult {
  /** `globus://<endpoint id>/<collection>/<name>:<tag>@<version>` */
  uri: string;
  collection: string;
  name: string;
  tag: string;
  version: string;
  size: number;
  sha256: string;
  created?: string;
  /** Endpoint path of the image file. */
  path: string;
  endpoint: string;
  /** HTTPS URL of the image when the collection serves HTTPS. */
  httpsUrl?: string;
  /** The Globus web app page of the folder that holds the image, for a person to open. */
  webUrl?: string;
  /** Transfer task that moved the bytes, when there was one. */
  taskId?: string;
  /** Local file (pull). */
  image?: string;
  labels?: Record<string, string>;
  transport?: Transport;
  /** Signers and whether they were checked; absent when the image's signatures were not looked at. */
  signatures?: ImageSignatures;
  /** `pushed`/`pulled`/`recorded`/`resolved` (read, nothing written), or `exists` when the version was already there. */
  status: 'pushed' | 'exists' | 'pulled' | 'cached' | 'recorded' | 'resolved';
}

export interface SearchHit {
  kind: 'endpoint' | 'image';
  /** For images: `globus://...` without version; for endpoints: `globus://<id>`. */
  uri: string;
  /** Endpoint hits. */
  endpoint?: { id: string; displayName: string; entityType: string; httpsServer: string | null; owner: string };
  /** Image hits. */
  image?: {
    collection: string;
    name: string;
    tag: string;
    version: string;
    size?: number;
    lastModified?: string;
    /** With `signers`: the signer fingerprints the manifest lists (advisory; [] for an unsigned push). */
    signatures?: string[];
  };
}

export interface DeleteOptions extends CallOptions {
  /** List what would be deleted, delete nothing. */
  dryRun?: boolean;
}

export interface PruneOptions extends CallOptions {
  /** The newest versions kept per name, besides every version a tag resolves to now (0 keeps only those). */
  keep: number;
  /** List what would go, delete nothing. */
  dryRun?: boolean;
  /** Image files no manifest names, and hidden uploads, go only once older than this (default 24). */
  graceHours?: number;
}

/** One file prune deleted (or, in a dry run, would delete). */
export interface PrunedFile {
  /** Endpoint path. */
  path: string;
  /** `version`: an image file; `manifest`: a tag's manifest; `upload`: a hidden upload a dead push left. */
  kind: 'version' | 'manifest' | 'upload';
  collection: string;
  name: string;
  version?: string;
  tag?: string;
}

export interface PruneResult {
  dryRun: boolean;
  removed: PrunedFile[];
  /** Every version kept, with the tags that resolve to it now (none: kept as one of the newest). */
  kept: Array<{ collection: string; name: string; version: string; tags: string[] }>;
  /** The one delete task; absent in a dry run or when nothing goes. */
  taskId?: string;
}

/** One access rule of a registry's guest collection. */
export interface AccessRule {
  /** null for a rule a role gives (the owner's, an access manager's): it cannot be revoked here. */
  id: string | null;
  principalType: PrincipalType;
  /** Identity or group id; empty for all-authenticated and public. */
  principal: string;
  /** The principal as the CLI takes it: the id, `group:<id>`, `all-authenticated` or `public`. */
  who: string;
  path: string;
  permissions: 'r' | 'rw';
  /** The rule's folder against the registry root: holds the whole root, a part of it, or none of it. */
  scope: 'root' | 'inside' | 'outside';
  /** The role that gives this rule, for rules of role assignments. */
  role?: string;
  expires?: string;
}

export interface AccessListResult {
  endpoint: string;
  displayName: string;
  root: string;
  rules: AccessRule[];
}

export interface GrantOptions extends CallOptions {
  /** Read-write instead of read-only. */
  write?: boolean;
}

export interface GrantResult {
  endpoint: string;
  displayName: string;
  ruleId: string;
  who: string;
  path: string;
  /** What the rule grants now (`rw` where read was asked and read-write was there already). */
  permissions: 'r' | 'rw';
  /** What was asked. */
  requested: 'r' | 'rw';
  /**
   * `exists`: a rule granting that (or more: read-write covers read) was there already and
   * is left as it is; `updated`: a read rule for that principal and folder now grants read-write.
   */
  status: 'created' | 'updated' | 'exists';
}

export interface RevokeResult {
  endpoint: string;
  displayName: string;
  ruleId: string;
  status: 'deleted';
}

export interface ReplicateOptions extends TransportOptions {
  /** Tags to copy (besides one in the source URI); none and no tag in the URI: every tag. */
  tags?: string[];
}

export interface ReplicateResult {
  /** `globus://<source endpoint>/<collection>/<name>:<tag>` as given. */
  source: string;
  /** `globus://<destination endpoint id>` */
  destination: string;
  /** Each tag copied, as it now resolves at the destination. */
  images: Array<{
    tag: string;
    version: string;
    uri: string;
    status: 'copied' | 'exists';
    path: string;
    httpsUrl?: string;
  }>;
  versionsCopied: number;
  manifestsCopied: number;
  /** The one Transfer task between the collections; absent when nothing needed copying. */
  taskId?: string;
}

export interface DeleteResult {
  /** The versions deleted (or, with dryRun, that would be): their manifests under this tag, and the image files below. */
  deleted: string[];
  /**
   * What happens to the bytes of each of those versions: its image file goes with the
   * tag (`deleted`), or stays because other tags still name it (`keptFor`).
   */
  imageFiles: Array<{ version: string; deleted: boolean; keptFor: string[] }>;
  taskId?: string;
  /** Set when nothing was deleted because dryRun was asked for. */
  dryRun?: boolean;
}

/** What rm removed: the records, the stored files, and files it left because they lie outside storage. */
export interface RemoveResult {
  removed: LocalImage[];
  files: string[];
  kept: string[];
}

/** A local record, as inspect/images return it. */
export interface LocalImage {
  uri: string | null;
  collection: string;
  name: string;
  tag: string;
  version: string | null;
  image: string | null;
  url: string | null;
  createdAt: string | null;
  manifest?: unknown;
  /** The local file's signatures, checked now (inspect). */
  signatures?: ImageSignatures;
}
