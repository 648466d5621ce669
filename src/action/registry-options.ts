/**
 * Registry options for one Action run: the inputs win, then the DESIGN.md environment
 * variables, then runner-friendly defaults (local storage and records under RUNNER_TEMP,
 * so a run never writes into the runner's home folder).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registryOptionsFromEnv } from '../core/registry/registry.js';
import type { ProgressEvent, RegistryEvent, RegistryOptions } from '../core/registry/types.js';
import type { ActionInputs } from './inputs.js';

export interface Hooks {
  onProgress: (e: ProgressEvent) => void;
  onEvent: (e: RegistryEvent) => void;
  /** Masks each access token before anything could log it. */
  onToken: (accessToken: string) => void;
}

/** The folder this Action keeps its own local files in. */
export const workFolder = (env: NodeJS.ProcessEnv): string => join(env.RUNNER_TEMP || tmpdir(), 'sregistry-globus');

export function registryOptions(inputs: ActionInputs, env: NodeJS.ProcessEnv, hooks: Hooks): RegistryOptions {
  const base = registryOptionsFromEnv(env);
  const work = workFolder(env);
  const options: RegistryOptions = {
    ...base,
    globus: {
      ...base.globus,
      clientId: inputs.clientId,
      clientSecret: inputs.clientSecret,
    },
    transport: inputs.transport,
    storage: base.storage ?? join(work, 'storage'),
    database: base.database ?? join(work, 'sregistry.db'),
    onProgress: hooks.onProgress,
    onEvent: hooks.onEvent,
    onToken: hooks.onToken,
  };
  if (inputs.authUrl !== undefined) options.globus.authUrl = inputs.authUrl;
  if (inputs.transferUrl !== undefined) options.globus.transferUrl = inputs.transferUrl;
  if (inputs.root !== undefined) options.root = inputs.root;
  if (inputs.sourceEndpoint !== undefined) options.localEndpoint = inputs.sourceEndpoint;
  if (inputs.timeoutMinutes !== undefined) options.timeoutMs = Math.round(inputs.timeoutMinutes * 60_000);
  return options;
}
