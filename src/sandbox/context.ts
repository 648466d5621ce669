import type { SandboxWorld, SandboxEndpoint } from './model.js';
import type { TokenStore } from './auth/tokens.js';
import type { FaultBook } from './faults.js';

/** What every part of the sandbox shares while it runs. */
export interface SandboxContext {
  world: SandboxWorld;
  tokens: TokenStore;
  faults: FaultBook;
  /** Finished tasks kept (the oldest are forgotten); DEFAULT_TASK_HISTORY when absent. */
  taskHistoryLimit?: number;
  /** Folder holding the sandbox's own files (collections, state). */
  dataDir: string;
  /** Origin of Auth + Transfer, e.g. `http://127.0.0.1:43117`. */
  origin: string;
  /** Called by long-running parts (task runner) so `close()` can wait for them. */
  track(work: Promise<unknown>): void;
  /** Aborted when the sandbox stops. */
  signal: AbortSignal;
  /** Saves the world (`<data>/sandbox.json`) after a change made through the API, e.g. an access rule; absent: changes last until the sandbox stops. */
  persist?(): Promise<void>;
}

export const findEndpoint = (ctx: SandboxContext, id: string): SandboxEndpoint | undefined =>
  ctx.world.endpoints.find((e) => e.id === id);
