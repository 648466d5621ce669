import { SregistryError } from '../errors.js';
import type { CallOptions, DeleteResult, ImageResult, LocalImage, PushOptions, RegistryOptions, SearchHit } from './types.js';

export interface SearchOptions extends CallOptions {
  /** Endpoint (UUID or display name) whose registry to list; without it, endpoints are searched. */
  endpoint?: string;
}

/**
 * The registry operations every front end exposes. STUB: the signatures are the contract;
 * the bodies are being written.
 */
export class Registry {
  constructor(readonly options: RegistryOptions) {}

  /** Push a local file to `globus://<endpoint>/<collection>/<name>[:<tag>]`; one result per tag. */
  async push(_file: string, _uri: string, _opts: PushOptions = {}): Promise<ImageResult[]> {
    throw new SregistryError('INVALID_INPUT', 'push is not implemented yet');
  }

  async pull(_uri: string, _opts: CallOptions = {}): Promise<ImageResult> {
    throw new SregistryError('INVALID_INPUT', 'pull is not implemented yet');
  }

  async record(_uri: string, _opts: CallOptions = {}): Promise<ImageResult> {
    throw new SregistryError('INVALID_INPUT', 'record is not implemented yet');
  }

  async search(_query?: string, _opts: SearchOptions = {}): Promise<SearchHit[]> {
    throw new SregistryError('INVALID_INPUT', 'search is not implemented yet');
  }

  async delete(_uri: string, _opts: CallOptions = {}): Promise<DeleteResult> {
    throw new SregistryError('INVALID_INPUT', 'delete is not implemented yet');
  }

  /** Local record of `[collection/]name[:tag][@version]`, newest first when several match. */
  async inspect(_ref: string): Promise<LocalImage | undefined> {
    throw new SregistryError('INVALID_INPUT', 'inspect is not implemented yet');
  }

  async images(_query?: string): Promise<LocalImage[]> {
    throw new SregistryError('INVALID_INPUT', 'images is not implemented yet');
  }

  /** Closes the records database; idempotent. */
  async close(): Promise<void> {}
}

/**
 * Registry options from environment variables (DESIGN.md names): GLOBUS_CLIENT_ID,
 * GLOBUS_CLIENT_SECRET, GLOBUS_SDK_ENVIRONMENT, GLOBUS_SDK_SERVICE_URL_AUTH,
 * GLOBUS_SDK_SERVICE_URL_TRANSFER, SREGISTRY_GLOBUS_ROOT, SREGISTRY_GLOBUS_TRANSPORT,
 * SREGISTRY_GLOBUS_LOCAL_ENDPOINT, SREGISTRY_GLOBUS_LOCAL_PATH_MAP, SREGISTRY_STORAGE,
 * SREGISTRY_DATABASE. STUB.
 */
export function registryOptionsFromEnv(_env: NodeJS.ProcessEnv): Omit<Partial<RegistryOptions>, 'globus'> & { globus: Partial<RegistryOptions['globus']> } {
  return { globus: {} };
}
