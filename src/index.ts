/**
 * The package's public API: what the front ends (CLI, Action, Node-RED) use of the core,
 * and nothing else (test/structure holds it to that): the registry operations, the types
 * they show, and the rules every front end shares. Front ends import only this file,
 * or rules.ts (the part of it that loads in milliseconds) where they check input first.
 */
export { Registry } from './core/registry/registry.js';
export type {
  TransportChoice,
  RegistryOptions,
  ProgressEvent,
  RegistryEvent,
  ImageResult,
  SearchHit,
  DeleteResult,
  PruneResult,
  ReplicateResult,
  LocalImage,
  ApiCallLike,
  AccessListResult,
  GrantResult,
  RevokeResult,
  SigningKey,
  ImageSignatures,
} from './core/registry/types.js';
export * from './rules.js';
export {
  restoreWatchState,
  DEFAULT_WATCH_INTERVAL_MS,
  MIN_WATCH_INTERVAL_MS,
  type WatchEvent,
} from './core/registry/operations/watch.js';
export { loadWatchState, saveWatchState } from './core/registry/operations/watch-file.js';
export { DEFAULT_GRACE_HOURS } from './core/registry/operations/prune.js';
export { hashFile } from './core/registry/local/file-facts.js';
export { writeSif } from './core/sif.js';
export type { DoctorReport } from './core/registry/operations/doctor.js';
