/**
 * Sharing a registry: the access rules of its guest collection, read and changed through
 * Transfer. Rule paths are folders of the registry (its root, a collection, a name), so
 * a grant can never open more of the collection than the registry.
 */
import { SregistryError, isSregistryError } from '../../errors.js';
import { collectionFolder, guestRulePath, imageFolder } from '../../layout.js';
import type { AccessRuleDocument } from '../../transfer/documents.js';
import { isValidName, parseGlobusUri } from '../../uri.js';
import { parsePrincipal, principalLabel } from '../../principal.js';
import { locateRoot } from '../lookup/root.js';
import type { EndpointInfo } from '../endpoint.js';
import type { Session } from '../session.js';
import type { AccessListResult, AccessRule, GrantOptions, GrantResult, RevokeResult } from '../types.js';
import { createAccessRule, deleteAccessRule, listAccessRules, updateAccessRule } from '../../transfer/index.js';

/** Entity types whose permissions are Transfer access rules. */
const RULED = new Set(['GCSv5_guest_collection', 'GCP_guest_collection']);

/** Whether an endpoint of this entity type keeps access rules (a guest collection). */
export const hasAccessRules = (entityType: string): boolean => RULED.has(entityType);

interface AccessTarget {
  endpoint: string;
  collection?: string;
  name?: string;
}

/** `globus://<endpoint>[/<collection>[/<name>]]`: what a grant opens; a tag or version is refused (rules are folders). */
export function parseAccessTarget(text: string, allowFolders = true): AccessTarget {
  const trimmed = typeof text === 'string' ? text.trim().replace(/\/+$/, '') : '';
  const form = allowFolders ? 'globus://<endpoint>[/<collection>[/<name>]]' : 'globus://<endpoint>';
  const bad = (why: string) =>
    new SregistryError(
      'INVALID_REFERENCE',
      `Cannot use ${JSON.stringify(trimmed.slice(0, 200))}: ${why}; give ${form}`,
    );
  const match = /^(globus:\/\/[^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/i.exec(trimmed);
  if (!match)
    throw bad(
      allowFolders ? 'expected at most a collection and a name after the endpoint' : 'expected the endpoint alone',
    );
  const { endpoint } = parseGlobusUri(match[1]!);
  const collection = match[2]?.toLowerCase();
  const name = match[3]?.toLowerCase();
  if (!allowFolders && collection !== undefined) throw bad('rules are listed for the whole collection');
  if (collection !== undefined && !isValidName(collection)) throw bad(`"${collection}" is not a collection name`);
  if (name !== undefined && (name.includes(':') || name.includes('@')))
    throw bad('access rules are on folders, so a grant takes no tag or version');
  if (name !== undefined && !isValidName(name)) throw bad(`"${name}" is not an image name`);
  return { endpoint, ...(collection ? { collection } : {}), ...(name ? { name } : {}) };
}

async function ruledEndpoint(
  session: Session,
  endpoint: string,
  signal: AbortSignal | undefined,
): Promise<EndpointInfo> {
  const ep = await session.endpoint(endpoint, signal);
  if (!hasAccessRules(ep.entityType)) {
    throw new SregistryError(
      'INVALID_INPUT',
      `${ep.displayName} (${ep.id}) is a ${ep.entityType || 'endpoint'}: Globus keeps access rules on guest collections only; share a guest collection of it instead`,
    );
  }
  return ep;
}

/** Rewords the refusal Globus gives to a client that may not manage rules. */
function managerOnly(err: unknown, ep: EndpointInfo): unknown {
  if (!isSregistryError(err) || err.code !== 'PERMISSION_DENIED') return err;
  return new SregistryError(
    'PERMISSION_DENIED',
    `Only the owner, an administrator or an access manager of ${ep.displayName} (${ep.id}) may see and change its access rules: ask one of them`,
    {
      cause: err,
      ...(err.requestId ? { requestId: err.requestId } : {}),
      ...(err.globusCode ? { globusCode: err.globusCode } : {}),
    },
  );
}

/** What of the registry at `root` a rule on `path` covers; both compared as the rules name them (`/~/` is `/`). */
export function scopeOf(path: string, root: string): AccessRule['scope'] {
  const [p, r] = [guestRulePath(path), guestRulePath(root)];
  return r.startsWith(p) ? 'root' : p.startsWith(r) ? 'inside' : 'outside';
}

/** The rules that still grant something: those without an expiration date or with one still ahead. */
export const liveRules = <R extends Pick<AccessRuleDocument, 'expiration_date'>>(
  rules: readonly R[],
  now = Date.now(),
): R[] => rules.filter((r) => !r.expiration_date || Date.parse(r.expiration_date) > now);

/** Who may read and write the whole registry at `root` (live rules only), and how many live rules cover only part of it. */
export function rootAccess(
  rules: readonly AccessRuleDocument[],
  root: string,
): { read: string[]; write: string[]; inside: number } {
  const live = liveRules(rules);
  const onRoot = live.filter((r) => scopeOf(r.path, root) === 'root');
  const who = (r: AccessRuleDocument) => principalLabel(r.principal_type, r.principal ?? '');
  const write = [...new Set(onRoot.filter((r) => r.permissions === 'rw').map(who))];
  const read = [...new Set(onRoot.filter((r) => r.permissions === 'r').map(who))].filter((p) => !write.includes(p));
  const inside = live.filter((r) => scopeOf(r.path, root) === 'inside').length;
  return { read, write, inside };
}

function ruleOf(doc: AccessRuleDocument, root: string): AccessRule {
  return {
    id: doc.id ?? null,
    principalType: doc.principal_type,
    principal: doc.principal ?? '',
    who: principalLabel(doc.principal_type, doc.principal ?? ''),
    path: doc.path,
    permissions: doc.permissions,
    scope: scopeOf(doc.path, root),
    ...(doc.role_type ? { role: doc.role_type } : {}),
    ...(doc.expiration_date ? { expires: doc.expiration_date } : {}),
  };
}

async function rulesOf(
  session: Session,
  ep: EndpointInfo,
  signal: AbortSignal | undefined,
): Promise<AccessRuleDocument[]> {
  try {
    return await listAccessRules(session.transfer, ep.id, signal ? { signal } : {});
  } catch (err) {
    throw managerOnly(err, ep);
  }
}

/** The rules of the registry's collection, each placed against the registry root. */
export async function accessList(session: Session, target: string, signal?: AbortSignal): Promise<AccessListResult> {
  const parsed = parseAccessTarget(target, false);
  const ep = await ruledEndpoint(session, parsed.endpoint, signal);
  const { root } = await locateRoot(session, ep, true, signal);
  session.step(`listing the access rules of ${ep.displayName}`);
  const rules = (await rulesOf(session, ep, signal)).map((doc) => ruleOf(doc, root));
  return { endpoint: ep.id, displayName: ep.displayName, root, rules };
}

/**
 * Grants `principal` read (or, with `write`, read-write) on the registry root, a
 * collection or a name. A rule for that principal and folder already there is kept
 * (`exists`) when it grants as much or more (read-write covers read: a grant never
 * narrows, `revoke` does), else widened to read-write (`updated`).
 */
export async function grant(
  session: Session,
  target: string,
  principal: string,
  opts: GrantOptions & { signal?: AbortSignal } = {},
): Promise<GrantResult> {
  const parsed = parseAccessTarget(target);
  const who = parsePrincipal(principal);
  const requested = opts.write ? 'rw' : 'r';
  const { signal } = opts;
  const call = signal ? { signal } : {};
  const ep = await ruledEndpoint(session, parsed.endpoint, signal);
  // The rule names the folder as the collection's rules do: `/~/shub/` is `/shub/` there.
  const root = guestRulePath((await locateRoot(session, ep, true, signal)).root);
  const path = parsed.name
    ? imageFolder(root, { collection: parsed.collection!, name: parsed.name })
    : parsed.collection
      ? collectionFolder(root, parsed.collection)
      : root;
  const result = (
    ruleId: string,
    permissions: GrantResult['permissions'],
    status: GrantResult['status'],
  ): GrantResult => ({
    endpoint: ep.id,
    displayName: ep.displayName,
    ruleId,
    who: principalLabel(who.principalType, who.principal),
    path,
    permissions,
    requested,
    status,
  });
  const twinOf = (rules: AccessRuleDocument[]) =>
    rules.find(
      (r) => r.id && r.principal_type === who.principalType && (r.principal ?? '') === who.principal && r.path === path,
    );
  /** Keeps a rule that grants enough, else widens it to read-write. */
  const settle = async (twin: AccessRuleDocument): Promise<GrantResult> => {
    if (twin.permissions === 'rw' || twin.permissions === requested)
      return result(twin.id!, twin.permissions === 'rw' ? 'rw' : 'r', 'exists');
    session.step(`changing rule ${twin.id} to ${requested}`);
    await updateAccessRule(session.transfer, ep.id, twin.id!, requested, call);
    return result(twin.id!, requested, 'updated');
  };

  const twin = twinOf(await rulesOf(session, ep, signal));
  try {
    if (twin) return await settle(twin);
    session.step(`granting ${requested} on ${path}`);
    return result(
      await createAccessRule(session.transfer, ep.id, { ...who, path, permissions: requested }, call),
      requested,
      'created',
    );
  } catch (err) {
    // Another grant made the same rule between our list and our create.
    if (isSregistryError(err) && err.code === 'CONFLICT') {
      const made = twinOf(await rulesOf(session, ep, signal));
      if (made) {
        try {
          return await settle(made);
        } catch (again) {
          throw managerOnly(again, ep);
        }
      }
    }
    throw managerOnly(err, ep);
  }
}

/** Deletes one rule by its id (as `access list` shows it). */
export async function revoke(
  session: Session,
  target: string,
  ruleId: string,
  signal?: AbortSignal,
): Promise<RevokeResult> {
  const parsed = parseAccessTarget(target, false);
  const id = typeof ruleId === 'string' ? ruleId.trim() : '';
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id))
    throw new SregistryError(
      'INVALID_INPUT',
      `"${String(ruleId).slice(0, 80)}" is not a rule id: \`access list\` shows the ids of the rules`,
    );
  const ep = await ruledEndpoint(session, parsed.endpoint, signal);
  session.step(`deleting rule ${id}`);
  try {
    await deleteAccessRule(session.transfer, ep.id, id, signal ? { signal } : {});
  } catch (err) {
    if (isSregistryError(err) && err.code === 'NOT_FOUND' && err.globusCode !== 'EndpointNotFound') {
      throw new SregistryError(
        'NOT_FOUND',
        `No access rule ${id} on ${ep.displayName} (${ep.id}): \`access list\` shows the ids of the rules`,
        { cause: err },
      );
    }
    throw managerOnly(err, ep);
  }
  return { endpoint: ep.id, displayName: ep.displayName, ruleId: id, status: 'deleted' };
}
