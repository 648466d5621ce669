/**
 * The package's public API: the registry operations, what they take and give, and the
 * rules every front end (CLI, Action, Node-RED) shares. Front ends import only this file,
 * or rules.ts (the part of it that loads in milliseconds) where they check input first.
 */
export { Registry, registryOptionsFromEnv } from './core/registry/registry.js';
export type {
  TransportChoice,
  Transport,
  GlobusSettings,
  RegistryOptions,
  ProgressEvent,
  RegistryEvent,
  CallOptions,
  PushOptions,
  PullOptions,
  ChunkObserver,
  ImageResult,
  SearchHit,
  DeleteResult,
  DeleteOptions,
  RemoveResult,
  PruneOptions,
  PruneResult,
  PrunedFile,
  ReplicateOptions,
  ReplicateResult,
  LocalImage,
  SearchOptions,
  ApiCallLike,
  AccessRule,
  AccessListResult,
  GrantOptions,
  GrantResult,
  RevokeResult,
  SigningKey,
  ImageSignatures,
  SignatureCheck,
  ImageSignatureStatus,
} from './core/registry/types.js';
export * from './rules.js';
export {
  restoreWatchState,
  DEFAULT_WATCH_INTERVAL_MS,
  MIN_WATCH_INTERVAL_MS,
  type WatchEvent,
  type WatchOptions,
  type WatchState,
  type WatchedVersion,
} from './core/registry/operations/watch.js';
export { loadWatchState, saveWatchState } from './core/registry/operations/watch-file.js';
export { DEFAULT_GRACE_HOURS } from './core/registry/operations/prune.js';
export { hashFile } from './core/registry/local/file-facts.js';
export type { ProxySettings } from './core/http/agent.js';
export { writeSif } from './core/sif.js';
export type { Manifest, ManifestSource } from './core/manifest.js';
export type { DoctorReport, DoctorCheck, ProbeResult, CheckStatus } from './core/registry/operations/doctor.js';
