import { TokenSource, type TokenSourceOptions } from '../../src/core/auth/index.js';
import { TransferApi, type TransferClientOptions } from '../../src/core/transfer/index.js';
import type { TestSandbox } from './sandbox.js';

/** A client of the sandbox world: who a token source speaks for. */
export interface Credentials {
  id: string;
  secret: string;
}

/** The core's TokenSource for `who` (by default the sandbox's own client) against the sandbox's Auth. */
export function sandboxTokens(
  sb: TestSandbox,
  options: Partial<TokenSourceOptions> = {},
  who: Credentials = sb.client,
): TokenSource {
  return new TokenSource({ clientId: who.id, clientSecret: who.secret, authUrl: sb.url, ...options });
}

/** The core's Transfer API client against the sandbox's Transfer API. */
export function sandboxTransferClient(sb: TestSandbox, options: Omit<TransferClientOptions, 'baseUrl'>): TransferApi {
  return new TransferApi({ baseUrl: sb.url, ...options });
}
