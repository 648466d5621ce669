/**
 * Access rules of a guest collection (Transfer `endpoint/<id>/access_list` and
 * `endpoint/<id>/access[/<rule id>]`): list, create, change and delete. Only the
 * collection's owner, an administrator or an access manager may call these.
 */
import { SregistryError } from '../errors.js';
import type { CallOptions, TransferApi } from './api.js';
import type { PrincipalType } from '../principal.js';
import type { AccessListDocument, AccessRuleDocument, OperationResult } from './documents.js';
import { endpointPath } from './endpoints.js';
import { dataOf, documentWith } from './shapes.js';

export interface NewAccessRule {
  principalType: PrincipalType;
  principal: string;
  path: string;
  permissions: 'r' | 'rw';
}

const rulePath = (endpoint: string, id: string): string => `${endpointPath(endpoint)}/access/${encodeURIComponent(id)}`;

export async function listAccessRules(
  api: TransferApi,
  endpoint: string,
  options: CallOptions = {},
): Promise<AccessRuleDocument[]> {
  const what = `listing the access rules of endpoint ${endpoint}`;
  const page = await api.call<AccessListDocument>({
    path: `${endpointPath(endpoint)}/access_list`,
    action: what,
    ...options,
  });
  return dataOf<AccessRuleDocument>(page, what, ['path', 'permissions', 'principal_type']);
}

/** Creates a rule; answers its id. */
export async function createAccessRule(
  api: TransferApi,
  endpoint: string,
  rule: NewAccessRule,
  options: CallOptions = {},
): Promise<string> {
  const what = `granting ${rule.permissions} on ${rule.path} of endpoint ${endpoint}`;
  const answer = await api.call<OperationResult>({
    method: 'POST',
    path: `${endpointPath(endpoint)}/access`,
    json: {
      DATA_TYPE: 'access',
      principal_type: rule.principalType,
      principal: rule.principal,
      path: rule.path,
      permissions: rule.permissions,
    },
    action: what,
    ...options,
  });
  const id = documentWith<OperationResult>(answer, what, []).access_id;
  if (typeof id !== 'string' && typeof id !== 'number')
    throw new SregistryError('INVALID_RESPONSE', `The answer to ${what} has no access_id`);
  return String(id);
}

export async function updateAccessRule(
  api: TransferApi,
  endpoint: string,
  id: string,
  permissions: 'r' | 'rw',
  options: CallOptions = {},
): Promise<void> {
  await api.call<OperationResult>({
    method: 'PUT',
    path: rulePath(endpoint, id),
    json: { DATA_TYPE: 'access', permissions },
    action: `changing access rule ${id} of endpoint ${endpoint} to ${permissions}`,
    ...options,
  });
}

export async function deleteAccessRule(
  api: TransferApi,
  endpoint: string,
  id: string,
  options: CallOptions = {},
): Promise<void> {
  await api.call<OperationResult>({
    method: 'DELETE',
    path: rulePath(endpoint, id),
    action: `deleting access rule ${id} of endpoint ${endpoint}`,
    ...options,
  });
}
