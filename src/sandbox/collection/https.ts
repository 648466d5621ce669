import { Router } from '../http.js';
import type { SandboxContext } from '../context.js';
import type { SandboxEndpoint } from '../model.js';

/** STUB: a collection's HTTPS server (GET with Range, HEAD, PUT, DELETE). */
export function collectionRouter(_ctx: SandboxContext, _endpoint: SandboxEndpoint): Router {
  return new Router();
}
