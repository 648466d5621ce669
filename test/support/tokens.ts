import { TRANSFER_RESOURCE_SERVER, TRANSFER_SCOPE, collectionScope } from '../../src/sandbox/model.js';
import type { TestSandbox } from './sandbox.js';

/** An HTTP Basic authorization header value for client credentials. */
export const basicAuth = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** A Transfer access token the sandbox issued straight to `clientId` (no Auth round trip). */
export function transferToken(sb: TestSandbox, clientId: string = sb.client.id): string {
  return sb.context.tokens.issue(clientId, TRANSFER_RESOURCE_SERVER, [TRANSFER_SCOPE], 3600).token;
}

/** A collection HTTPS access token the sandbox issued straight to `clientId`. */
export function httpsToken(
  sb: TestSandbox,
  collectionId: string = sb.collection.id,
  clientId: string = sb.client.id,
): string {
  return sb.context.tokens.issue(clientId, collectionId, [collectionScope(collectionId, 'https')], 3600).token;
}
