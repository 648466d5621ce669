import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { Router, Exchange, Handler } from './http.js';
import { readJson, sendJson } from './http.js';
import type { SandboxContext } from './context.js';
import { SandboxError, badRequest, notFound } from './errors.js';
import { bearerToken } from './auth/tokens.js';
import { expireTokens, parseFaultRule } from './faults.js';
import { BEHAVIOUR_KEYS, SWITCHES, parseBehaviour } from './behaviour.js';
import { findEndpoint } from './context.js';
import { resetRateLimit } from './transfer/rate-limit.js';

/**
 * The sandbox's own control API under `/_sandbox/` on the main origin: fault rules, the
 * request log, token expiry, settings, releasing held tasks. Only loopback peers holding
 * the world's admin token may use it.
 */
export function adminRoutes(router: Router, ctx: SandboxContext): void {
  const on = (method: string, pattern: RegExp, handler: Handler) => router.on(method, pattern, guarded(ctx, handler));

  on('GET', /^\/_sandbox\/faults$/, (ex) => sendJson(ex.res, 200, { rules: ctx.faults.rules }));
  on('POST', /^\/_sandbox\/faults$/, async (ex) => {
    const body = await readJson(ex.req);
    let rule;
    try {
      rule = parseFaultRule(body);
    } catch (err) {
      throw badRequest((err as Error).message);
    }
    sendJson(ex.res, 201, ctx.faults.add(rule));
  });
  on('DELETE', /^\/_sandbox\/faults$/, (ex) => {
    const removed = ctx.faults.rules.length;
    ctx.faults.clear();
    sendJson(ex.res, 200, { removed });
  });
  on('DELETE', /^\/_sandbox\/faults\/(?<id>[^/]+)$/, (ex) => {
    if (!ctx.faults.remove(ex.params.id!)) throw notFound(`Fault rule ${ex.params.id}`);
    sendJson(ex.res, 200, { removed: 1 });
  });

  on('GET', /^\/_sandbox\/requests$/, (ex) => {
    const since = ex.url.searchParams.get('since') ?? '0';
    if (!/^\d+$/.test(since))
      throw badRequest('since must be a non-negative integer (an index from an earlier answer)');
    const requests = ctx.faults
      .requestsSince(Number(since))
      .filter((r) => !(r.origin === 'main' && r.path.startsWith('/_sandbox/')));
    sendJson(ex.res, 200, { requests, next: ctx.faults.nextIndex });
  });
  on('DELETE', /^\/_sandbox\/requests$/, (ex) => {
    ctx.faults.clearLog();
    sendJson(ex.res, 200, { next: ctx.faults.nextIndex });
  });

  on('POST', /^\/_sandbox\/tokens\/expire$/, async (ex) => {
    const body = await readOptionalJson(ex);
    const clientId = body.client_id;
    if (clientId !== undefined && (typeof clientId !== 'string' || clientId === ''))
      throw badRequest('client_id must be a non-empty string');
    sendJson(ex.res, 200, { expired: expireTokens(ctx.tokens, clientId) });
  });

  on('GET', /^\/_sandbox\/settings$/, (ex) => sendJson(ex.res, 200, settings(ctx)));
  on('PUT', /^\/_sandbox\/settings$/, async (ex) => {
    const body = await readJson(ex.req);
    const unknown = Object.keys(body).find((k) => k !== 'token_lifetime');
    if (unknown) throw badRequest(`Unknown setting "${unknown}" (allowed: token_lifetime)`);
    if (body.token_lifetime !== undefined) {
      const lifetime = body.token_lifetime;
      if (typeof lifetime !== 'number' || !Number.isInteger(lifetime) || lifetime < 1)
        throw badRequest('token_lifetime must be a positive integer (seconds)');
      ctx.world.tokenLifetime = lifetime;
    }
    sendJson(ex.res, 200, settings(ctx));
  });

  // The behaviour switches and knobs (behaviour.ts): what they are, and how they are set now.
  on('GET', /^\/_sandbox\/behaviour$/, (ex) => sendJson(ex.res, 200, behaviourDocument(ctx)));
  on('PUT', /^\/_sandbox\/behaviour$/, async (ex) => {
    const body = await readJson(ex.req);
    try {
      Object.assign(ctx.world.behaviour, parseBehaviour(body, 'behaviour'));
    } catch (err) {
      throw badRequest((err as Error).message);
    }
    resetRateLimit(ctx);
    sendJson(ex.res, 200, behaviourDocument(ctx));
  });
  // Connects or disconnects a Globus Connect Personal endpoint.
  on('PUT', /^\/_sandbox\/endpoints\/(?<id>[^/]+)\/connected$/, async (ex) => {
    const endpoint = findEndpoint(ctx, ex.params.id!);
    if (!endpoint) throw notFound(`Endpoint ${ex.params.id}`);
    if (endpoint.entityType !== 'GCP_mapped_collection')
      throw badRequest('Only a GCP_mapped_collection (Globus Connect Personal) can be disconnected');
    const body = await readJson(ex.req);
    if (typeof body.connected !== 'boolean') throw badRequest('connected must be true or false');
    endpoint.connected = body.connected;
    sendJson(ex.res, 200, { id: endpoint.id, connected: endpoint.connected });
  });

  on('POST', /^\/_sandbox\/tasks\/(?<id>[^/]+)\/release$/, (ex) => {
    const id = ex.params.id!;
    if (!ctx.faults.release(id)) throw notFound(`Held task ${id}`);
    sendJson(ex.res, 200, { task_id: id, released: true });
  });
}

const behaviourDocument = (ctx: SandboxContext) => ({
  behaviour: Object.fromEntries(BEHAVIOUR_KEYS.map((k) => [k, ctx.world.behaviour[k]])),
  switches: SWITCHES,
});

const settings = (ctx: SandboxContext) => ({ token_lifetime: ctx.world.tokenLifetime });

/** Whether an address is this machine's loopback (IPv4, IPv6, or IPv4-mapped IPv6). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

function guarded(ctx: SandboxContext, handler: Handler): Handler {
  return (ex) => {
    if (!isLoopback(ex.req.socket.remoteAddress))
      throw new SandboxError(403, 'Forbidden', 'The sandbox admin API answers loopback peers only');
    const presented = bearerToken(ex.req);
    if (!presented)
      throw new SandboxError(401, 'AuthenticationFailed', 'The admin API needs Authorization: Bearer <admin token>');
    if (!sameToken(presented, ctx.world.adminToken))
      throw new SandboxError(401, 'AuthenticationFailed', 'Wrong admin token');
    return handler(ex);
  };
}

function sameToken(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** A JSON object body, or `{}` when the body is empty. */
async function readOptionalJson(ex: Exchange): Promise<Record<string, unknown>> {
  const length = ex.req.headers['content-length'];
  if (length === '0' || (length === undefined && !ex.req.headers['transfer-encoding'])) {
    ex.req.resume();
    return {};
  }
  return readJson(ex.req);
}
