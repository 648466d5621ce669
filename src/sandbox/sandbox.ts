import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { SandboxContext } from './context.js';
import { FaultBook } from './faults.js';
import { Router } from './http.js';
import type { SandboxWorld, SandboxEndpoint } from './model.js';
import { dispatcher, httpServer, listen } from './server.js';
import { TokenStore } from './auth/tokens.js';
import { saveWorld } from './config/world-file.js';
import { authRoutes, renderAuthError } from './auth/routes.js';
import { identityRoutes } from './auth/identities.js';
import { endpointRoutes } from './transfer/endpoints/routes.js';
import { operationRoutes } from './transfer/files/routes.js';
import { taskRoutes } from './transfer/tasks/routes.js';
import { accessRuleRoutes } from './transfer/access-rules.js';
import { adminRoutes } from './admin.js';
import { collectionRouter } from './collection/https.js';

export interface SandboxOptions {
  /** The world to serve: clients, endpoints, permissions. */
  world: SandboxWorld;
  /** Folder for the sandbox's own files. */
  dataDir: string;
  /** Port of the Auth + Transfer origin; 0 picks a free one. */
  port?: number;
  /** Most request log entries kept (oldest dropped first); DEFAULT_REQUEST_LOG_LIMIT when absent. */
  requestLogLimit?: number;
  /** Most finished tasks kept (oldest forgotten first); DEFAULT_TASK_HISTORY when absent. */
  taskHistoryLimit?: number;
  /** Save the world to `<dataDir>/sandbox.json` after changes made through the API (access rules), so a restart keeps them. */
  persist?: boolean;
}

export interface RunningSandbox {
  /** Origin serving Auth (at the root) and Transfer (under /v0.10/). */
  url: string;
  world: SandboxWorld;
  context: SandboxContext;
  close(): Promise<void>;
}

/** Starts Auth + Transfer on one loopback origin and one HTTPS origin per collection that serves HTTPS. */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  await mkdir(options.dataDir, { recursive: true });
  const stop = new AbortController();
  const pending = new Set<Promise<unknown>>();
  const context: SandboxContext = {
    world: options.world,
    tokens: new TokenStore(),
    faults: new FaultBook(options.requestLogLimit),
    ...(options.taskHistoryLimit !== undefined ? { taskHistoryLimit: options.taskHistoryLimit } : {}),
    dataDir: options.dataDir,
    origin: '',
    signal: stop.signal,
    track(work) {
      pending.add(work);
      void work.finally(() => pending.delete(work)).catch(() => undefined);
    },
  };
  if (options.persist) {
    // One save at a time, each of the world as it is then: two changes close together never race on the file.
    let saving: Promise<void> = Promise.resolve();
    context.persist = () => {
      saving = saving.catch(() => undefined).then(() => saveWorld(options.dataDir, options.world));
      context.track(saving);
      return saving;
    };
  }

  const router = new Router();
  authRoutes(router, context);
  identityRoutes(router, context);
  endpointRoutes(router, context);
  operationRoutes(router, context);
  taskRoutes(router, context);
  accessRuleRoutes(router, context);
  adminRoutes(router, context);
  // Auth paths render OAuth-style errors; everything else Transfer's shape.
  const main = new Router((ex, err) =>
    ex.url.pathname.startsWith('/v2/') || ex.url.pathname.startsWith('/.well-known/')
      ? renderAuthError(ex, err)
      : router.renderError(ex, err),
  );
  const servers: Server[] = [];
  const mainServer = httpServer(dispatcher(context, 'main', routerWithRenderer(router, main)));
  servers.push(mainServer);
  context.origin = await listen(mainServer, options.port ?? 0);

  for (const endpoint of options.world.endpoints.filter((e: SandboxEndpoint) => e.https)) {
    const server = httpServer(dispatcher(context, endpoint.id, collectionRouter(context, endpoint)));
    servers.push(server);
    endpoint.httpsServer = await listen(server);
  }

  return {
    url: context.origin,
    world: options.world,
    context,
    async close() {
      stop.abort();
      // Cut connections first: handlers of cut requests (and aborted tasks) then clean up
      // their temp files, and close() waits for that below.
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
      await Promise.allSettled([...pending]);
    },
  };
}

/** The routes of `routes` with the error rendering of `renderer`. */
function routerWithRenderer(routes: Router, renderer: Router): Router {
  const combined = new Router(renderer.renderError);
  combined.find = routes.find.bind(routes);
  return combined;
}
