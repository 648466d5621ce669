import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import type { SandboxContext } from '../context.js';
import { SandboxError, badRequest } from '../errors.js';
import { readJson, sendJson, type Exchange, type Router } from '../http.js';
import { PRINCIPAL_TYPES, type Access, type Permission, type PrincipalType, type SandboxEndpoint } from '../model.js';
import { canManageRules } from '../access.js';
import { stableId } from '../stable-id.js';
import { endpointIdParam, transferCaller, visibleEndpoint } from './caller.js';
import { taskTime } from './tasks/documents.js';

/** Most rules one guest collection holds, as Transfer's limit. */
export const MAX_RULES = 1000;
/** Longest rule path Transfer takes (characters after encoding). */
const MAX_RULE_PATH = 2000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Transfer's access rules of guest collections: `access_list`, and `access` to create,
 * get, update and delete one rule. Only the collection's owner may manage them (the
 * sandbox models no role assignments); a client that sees the collection through a rule
 * gets 403 `PermissionDenied`, one that does not 404 as for every route. A change
 * applies to the next request, on Transfer and on the collection's HTTPS alike, since
 * both read the same rules.
 */
export function accessRuleRoutes(router: Router, ctx: SandboxContext): void {
  const managed = (ex: Exchange): SandboxEndpoint => {
    const clientId = transferCaller(ctx, ex);
    const endpoint = visibleEndpoint(ctx, endpointIdParam(ex.params), clientId);
    if (!canManageRules(endpoint, clientId)) {
      throw new SandboxError(
        403,
        'PermissionDenied',
        `You do not have permission to manage access rules on endpoint ${endpoint.id}`,
      );
    }
    if (endpoint.entityType !== 'GCSv5_guest_collection') {
      throw badRequest(
        `Endpoint ${endpoint.id} is a ${endpoint.entityType}; access rules are kept on guest collections`,
      );
    }
    return endpoint;
  };
  const ruleOf = (endpoint: SandboxEndpoint, ex: Exchange): Permission => {
    const id = ex.params.rule ?? '';
    const rule = endpoint.permissions.find((p) => p.id === id);
    if (!rule) throw new SandboxError(404, 'AccessRuleNotFound', `Access rule '${id}' not found`);
    return rule;
  };
  const resource = (endpoint: SandboxEndpoint, ruleId?: string): string =>
    `/endpoint/${endpoint.id}/access${ruleId ? `/${ruleId}` : ''}`;

  router.on('GET', /^\/v0\.10\/endpoint\/(?<id>[^/]+)\/access_list\/?$/, (ex) => {
    const endpoint = managed(ex);
    const rules = [ownerRule(endpoint), ...endpoint.permissions.map((p) => ruleDocument(endpoint, p))];
    sendJson(ex.res, 200, { DATA_TYPE: 'access_list', endpoint: endpoint.id, DATA: rules, length: rules.length });
  });

  router.on('POST', /^\/v0\.10\/endpoint\/(?<id>[^/]+)\/access\/?$/, async (ex) => {
    const endpoint = managed(ex);
    const body = await readJson(ex.req);
    const rule = parseNewRule(body);
    const twin = endpoint.permissions.find(
      (p) =>
        (p.principalType ?? 'identity') === rule.principalType &&
        p.principal === rule.principal &&
        p.path === rule.path,
    );
    if (twin)
      throw new SandboxError(
        409,
        'Exists',
        `An access rule for this principal on path '${rule.path}' already exists: '${twin.id ?? ''}'`,
      );
    if (endpoint.permissions.length >= MAX_RULES)
      throw new SandboxError(409, 'LimitExceeded', `Endpoint ${endpoint.id} already has ${MAX_RULES} access rules`);
    endpoint.permissions.push(rule);
    await ctx.persist?.();
    sendJson(ex.res, 201, {
      DATA_TYPE: 'access_create_result',
      code: 'Created',
      message: 'Access rule created successfully.',
      resource: resource(endpoint),
      request_id: ex.requestId,
      access_id: rule.id,
    });
  });

  const one = /^\/v0\.10\/endpoint\/(?<id>[^/]+)\/access\/(?<rule>[^/]+)\/?$/;
  router.on('GET', one, (ex) => {
    const endpoint = managed(ex);
    sendJson(ex.res, 200, ruleDocument(endpoint, ruleOf(endpoint, ex)));
  });

  router.on('PUT', one, async (ex) => {
    const endpoint = managed(ex);
    const rule = ruleOf(endpoint, ex);
    const body = await readJson(ex.req);
    const change = parseRuleUpdate(body, rule);
    if (change.access) rule.access = change.access;
    if (change.expirationDate !== undefined) rule.expirationDate = change.expirationDate;
    await ctx.persist?.();
    sendJson(ex.res, 200, {
      DATA_TYPE: 'result',
      code: 'Updated',
      message: `Access rule '${rule.id ?? ''}' updated successfully`,
      resource: resource(endpoint, rule.id),
      request_id: ex.requestId,
    });
  });

  router.on('DELETE', one, async (ex) => {
    const endpoint = managed(ex);
    const rule = ruleOf(endpoint, ex);
    endpoint.permissions.splice(endpoint.permissions.indexOf(rule), 1);
    await ctx.persist?.();
    sendJson(ex.res, 200, {
      DATA_TYPE: 'result',
      code: 'Deleted',
      message: `Access rule '${rule.id ?? ''}' deleted successfully`,
      resource: resource(endpoint, rule.id),
      request_id: ex.requestId,
    });
  });
}

/** Transfer's `access` document of a rule. */
export function ruleDocument(endpoint: SandboxEndpoint, rule: Permission): Record<string, unknown> {
  return {
    DATA_TYPE: 'access',
    id: rule.id ?? null,
    principal_type: rule.principalType ?? 'identity',
    principal: rule.principal,
    path: rule.path,
    permissions: rule.access,
    create_time: rule.createTime ?? null,
    expiration_date: rule.expirationDate ?? null,
    role_id: null,
    role_type: null,
  };
}

/**
 * The owner's implicit read-write on `/`, listed as Transfer lists the rules a role
 * gives: `id` null, `role_id` and `role_type` set; it cannot be fetched, changed or deleted.
 */
function ownerRule(endpoint: SandboxEndpoint): Record<string, unknown> {
  return {
    DATA_TYPE: 'access',
    id: null,
    principal_type: 'identity',
    principal: endpoint.owner,
    path: '/',
    permissions: 'rw',
    create_time: null,
    expiration_date: null,
    role_id: stableId('role', endpoint.id, endpoint.owner),
    role_type: 'administrator',
  };
}

function parseNewRule(body: Record<string, unknown>): Permission {
  if (body.DATA_TYPE !== 'access') throw badRequest(`DATA_TYPE must be 'access'`);
  const principalType = body.principal_type;
  if (typeof principalType !== 'string' || !PRINCIPAL_TYPES.includes(principalType as PrincipalType)) {
    throw badRequest(`principal_type must be one of ${PRINCIPAL_TYPES.join(', ')}`, 'InvalidPrincipal');
  }
  const type = principalType as PrincipalType;
  const principal = body.principal ?? '';
  if (typeof principal !== 'string') throw badRequest('principal must be a string', 'InvalidPrincipal');
  if ((type === 'identity' || type === 'group') && !UUID.test(principal)) {
    throw badRequest(
      `principal must be the ${type === 'identity' ? 'identity' : 'group'} id (a UUID) for principal_type '${type}'`,
      'InvalidPrincipal',
    );
  }
  if ((type === 'all_authenticated_users' || type === 'anonymous') && principal !== '') {
    throw badRequest(`principal must be empty for principal_type '${type}'`, 'InvalidPrincipal');
  }
  return {
    id: randomUUID(),
    principalType: type,
    principal: principal.toLowerCase(),
    path: rulePath(body.path),
    access: permissionsOf(body.permissions),
    createTime: taskTime(new Date()),
    expirationDate: expirationOf(body.expiration_date) ?? null,
  };
}

/** A partial `access` document: `permissions` and `expiration_date` change; other keys must repeat the rule's values. */
function parseRuleUpdate(
  body: Record<string, unknown>,
  rule: Permission,
): { access?: Access; expirationDate?: string | null } {
  if (body.DATA_TYPE !== 'access') throw badRequest(`DATA_TYPE must be 'access'`);
  const fixed: Array<[string, unknown]> = [
    ['id', rule.id],
    ['principal_type', rule.principalType ?? 'identity'],
    ['principal', rule.principal],
    ['path', rule.path],
  ];
  for (const [key, value] of fixed) {
    if (body[key] !== undefined && body[key] !== null && body[key] !== value)
      throw badRequest(`${key} of an access rule cannot be changed`);
  }
  return {
    ...(body.permissions !== undefined && body.permissions !== null ? { access: permissionsOf(body.permissions) } : {}),
    ...(body.expiration_date !== undefined ? { expirationDate: expirationOf(body.expiration_date) ?? null } : {}),
  };
}

function permissionsOf(value: unknown): Access {
  if (value !== 'r' && value !== 'rw') throw badRequest(`permissions must be 'r' or 'rw'`);
  return value;
}

/** An absolute folder path, beginning and ending with `/`, normalised, at most 2000 characters. */
function rulePath(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || !value.endsWith('/')) {
    throw badRequest('path must be an absolute folder path that begins and ends with /', 'InvalidPath');
  }
  if (value.includes('\0') || encodeURI(value).length > MAX_RULE_PATH)
    throw badRequest(`path must be at most ${MAX_RULE_PATH} characters`, 'InvalidPath');
  const normal = posix.normalize(value);
  if (normal !== value || value.split('/').some((s) => s === '..' || s === '.')) {
    throw badRequest(`path must be normalised (no '//', '/./' or '/../'): '${value}'`, 'InvalidPath');
  }
  return value;
}

function expirationOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
    throw badRequest('expiration_date must be an ISO 8601 date');
  return taskTime(new Date(value));
}
