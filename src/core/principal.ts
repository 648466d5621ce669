/**
 * Who an access rule is for, as the front ends write it: an identity id (a client's id is
 * its identity id), `<client id>@clients.auth.globus.org`, `group:<uuid>`,
 * `all-authenticated` or `public`, and back.
 */
import { SregistryError } from './errors.js';

export type PrincipalType = 'identity' | 'group' | 'all_authenticated_users' | 'anonymous';

export interface Principal {
  principalType: PrincipalType;
  /** The identity or group id, lower-case; empty for all_authenticated_users and anonymous. */
  principal: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FORMS =
  'an identity id, a client id, <client-id>@clients.auth.globus.org, group:<uuid>, all-authenticated or public';

export function parsePrincipal(text: string): Principal {
  const value = typeof text === 'string' ? text.trim().toLowerCase() : '';
  if (value === 'all-authenticated') return { principalType: 'all_authenticated_users', principal: '' };
  if (value === 'public') return { principalType: 'anonymous', principal: '' };
  const group = /^group:(.+)$/.exec(value);
  if (group) {
    if (!UUID.test(group[1]!))
      throw new SregistryError(
        'INVALID_INPUT',
        `"${String(text).slice(0, 80)}" names no group: give group:<group uuid>`,
      );
    return { principalType: 'group', principal: group[1]! };
  }
  const id = value.replace(/@clients\.auth\.globus\.org$/, '');
  if (UUID.test(id)) return { principalType: 'identity', principal: id };
  const hint = value.includes('@')
    ? ' (a username must first be looked up to its identity id, e.g. with `globus get-identities`)'
    : '';
  throw new SregistryError('INVALID_INPUT', `"${String(text).slice(0, 80)}" is not a principal${hint}: give ${FORMS}`);
}

/** A rule's principal the way parsePrincipal reads it. */
export function principalLabel(type: PrincipalType, principal: string): string {
  switch (type) {
    case 'group':
      return `group:${principal}`;
    case 'all_authenticated_users':
      return 'all-authenticated';
    case 'anonymous':
      return 'public';
    default:
      return principal;
  }
}
