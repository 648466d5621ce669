import {
  displayLine,
  isSregistryError,
  parsePrincipal,
  type AccessListResult,
  type GrantResult,
  type RevokeResult,
} from '../../index.js';
import type { CommandContext, CommandResult, CommandSpec } from '../command.js';
import { UsageError } from '../errors.js';
import { table } from '../output.js';

const ACTIONS = ['list', 'grant', 'revoke'] as const;
type Action = (typeof ACTIONS)[number];

const scopeWords = { root: 'whole registry', inside: 'part of the registry', outside: 'outside the registry' } as const;

/** Every value here came from Globus (names, paths, ids): shown through the one escaping rule. */
const shown = (text: string | null | undefined): string => displayLine(text ?? '');

export function accessListText(r: AccessListResult): string {
  if (r.rules.length === 0) return `${shown(r.displayName)} (${shown(r.endpoint)}) has no access rules\n`;
  const rows = r.rules.map((rule) => [
    rule.id ?? `(${rule.role ?? 'role'})`,
    rule.permissions,
    rule.who,
    rule.path,
    scopeWords[rule.scope],
  ]);
  return `Access rules of ${shown(r.displayName)} (${shown(r.endpoint)}), registry root ${shown(r.root)}:\n${table(['RULE', 'PERMISSIONS', 'WHO', 'PATH', 'COVERS'], rows)}`;
}

export function grantText(r: GrantResult): string {
  const what = r.permissions === 'rw' ? 'read and write' : 'read';
  const [who, path, name, rule] = [r.who, r.path, r.displayName, r.ruleId].map(shown);
  if (r.status === 'exists' && r.requested !== r.permissions) {
    return `${who} may already read and write ${path} on ${name} (rule ${rule}), which covers read: nothing changed; to allow read only, \`access revoke\` that rule and grant read again\n`;
  }
  if (r.status === 'exists') return `${who} may already ${what} ${path} on ${name} (rule ${rule}): nothing changed\n`;
  if (r.status === 'updated') return `${who} may now ${what} ${path} on ${name} (rule ${rule} changed)\n`;
  return `${who} may now ${what} ${path} on ${name} (rule ${rule})\n`;
}

const revokeText = (r: RevokeResult): string => `Deleted access rule ${shown(r.ruleId)} of ${shown(r.displayName)}\n`;

function actionOf(value: string | undefined): Action {
  if (ACTIONS.includes(value as Action)) return value as Action;
  throw new UsageError(`the first argument must be one of ${ACTIONS.join(', ')}, not ${JSON.stringify(value)}`);
}

async function run(ctx: CommandContext): Promise<CommandResult> {
  const [actionText, target, ruleId] = ctx.positionals;
  const action = actionOf(actionText);
  const to = typeof ctx.values.to === 'string' ? ctx.values.to : undefined;
  const write = ctx.values.write === true;
  if (action !== 'grant' && (to !== undefined || write))
    throw new UsageError(`--to and --write are for access grant, not access ${action}`);
  if (action !== 'revoke' && ruleId !== undefined)
    throw new UsageError(`unexpected argument ${JSON.stringify(ruleId)}: only access revoke takes a rule id`);
  if (target === undefined)
    throw new UsageError(
      `missing <target>: access ${action} globus://<endpoint>${action === 'grant' ? '[/<collection>[/<name>]] --to <principal>' : action === 'revoke' ? ' <rule-id>' : ''}`,
    );

  if (action === 'list') {
    const result = await ctx.registry().accessList(target, { signal: ctx.signal });
    return {
      json: result,
      text: accessListText(result),
      rows: result.rules.map((rule) => [
        rule.id ?? '',
        rule.permissions,
        rule.who,
        rule.path,
        rule.scope,
        rule.role ?? '',
      ]),
    };
  }
  if (action === 'grant') {
    if (to === undefined)
      throw new UsageError(
        'access grant needs --to <principal>: an identity id, a client id, <client-id>@clients.auth.globus.org, group:<uuid>, all-authenticated or public',
      );
    try {
      parsePrincipal(to);
    } catch (err) {
      throw new UsageError(isSregistryError(err) ? err.message : String(err));
    }
    const result = await ctx.registry().grant(target, to, { write, signal: ctx.signal });
    return {
      json: result,
      text: grantText(result),
      rows: [[result.ruleId, result.permissions, result.who, result.path, result.status]],
    };
  }
  if (ruleId === undefined) throw new UsageError('access revoke needs the <rule-id> that access list shows');
  const result = await ctx.registry().revoke(target, ruleId, { signal: ctx.signal });
  return { json: result, text: revokeText(result), rows: [[result.ruleId, result.status]] };
}

export const access: CommandSpec = {
  name: 'access',
  summary: "list, grant and revoke who may read or write the registry (the collection's access rules)",
  positionals: [
    { name: 'list|grant|revoke', required: true },
    { name: 'target', required: false },
    { name: 'rule-id', required: false },
  ],
  options: { to: { type: 'string' }, write: { type: 'boolean' } },
  optionHelp: [
    {
      flag: '--to PRINCIPAL',
      text: 'grant: an identity id, a client id, <client-id>@clients.auth.globus.org, group:<uuid>, all-authenticated or public',
    },
    { flag: '--write', text: 'grant: read and write (push, delete) instead of read only' },
  ],
  description:
    'The access rules of the guest collection the registry lives on (Globus Transfer permissions), with paths\n' +
    'mapped onto the registry root: `access list globus://<endpoint>` shows every rule and what of the registry it\n' +
    'covers; `access grant globus://<endpoint>[/<collection>[/<name>]] --to <principal> [--write]` lets someone\n' +
    'read (or write) the whole registry, one collection or one name, and says so when that rule exists already;\n' +
    "`access revoke globus://<endpoint> <rule-id>` deletes a rule. Only the collection's owner, an administrator\n" +
    'or an access manager may do this; a rule takes effect at once.',
  examples: [
    'sregistry-globus access list globus://my-collection',
    'sregistry-globus access grant globus://my-collection/library --to $CLIENT_ID@clients.auth.globus.org',
    'sregistry-globus access grant globus://my-collection --to group:3c1d2e4f-0000-4000-8000-0000000000bb --write',
    'sregistry-globus access revoke globus://my-collection 8d3e4f5a-0000-4000-8000-0000000000cc',
  ],
  globus: true,
  registry: true,
  run,
};
