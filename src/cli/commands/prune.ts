import { DEFAULT_GRACE_HOURS } from '../../index.js';
import type { CommandSpec } from '../command.js';
import { UsageError } from '../errors.js';
import { prunedText } from './show.js';

function count(flag: string, value: unknown, whole: boolean): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < 0 || (whole && !Number.isSafeInteger(n))) {
    throw new UsageError(
      `${flag} must be ${whole ? 'a whole number' : 'a number'}, 0 or more, not ${JSON.stringify(String(value))}`,
    );
  }
  return n;
}

export const prune: CommandSpec = {
  name: 'prune',
  summary: 'delete old versions, keeping the newest N per name and every version a tag names',
  positionals: [{ name: 'scope', required: true }],
  options: { keep: { type: 'string' }, 'dry-run': { type: 'boolean' }, grace: { type: 'string' } },
  optionHelp: [
    { flag: '--keep N', text: 'versions kept per name besides those a tag names (required; 0 keeps only those)' },
    { flag: '--dry-run', text: 'list what would be deleted and kept, and why; delete nothing' },
    {
      flag: '--grace HOURS',
      text: `image files no manifest names and dead uploads go only once this old (default ${DEFAULT_GRACE_HOURS}, at least 1)`,
    },
  ],
  description:
    'For every name under globus://<endpoint>[/<collection>[/<name>]], keeps the newest N versions and every\n' +
    "version a tag resolves to now; deletes the other versions' image files and the manifests naming them, plus\n" +
    'manifests repeating a newer one of the same tag and version, in one Globus delete task. Image files no\n' +
    'manifest names (a push in flight reveals its image first) and hidden uploads go only after the grace.',
  examples: [
    'sregistry-globus prune globus://6c4d0e3a-0000-4000-8000-000000000001/library/lolcow --keep 3 --dry-run',
    'sregistry-globus prune globus://6c4d0e3a-0000-4000-8000-000000000001 --keep 5 --json',
  ],
  globus: true,
  registry: true,
  async run(ctx) {
    const keep = count('--keep', ctx.values.keep, true);
    if (keep === undefined)
      throw new UsageError('--keep N is required: how many of the newest versions of each name to keep');
    const graceHours = count('--grace', ctx.values.grace, false);
    const result = await ctx.registry().prune(ctx.positionals[0] as string, {
      keep,
      dryRun: ctx.values['dry-run'] === true,
      ...(graceHours !== undefined ? { graceHours } : {}),
      signal: ctx.signal,
    });
    return { json: result, text: prunedText(result, keep) };
  },
};
