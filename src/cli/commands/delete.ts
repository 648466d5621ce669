import { EXIT_FAILED } from '../errors.js';
import type { CommandSpec } from '../command.js';
import { remoteImage } from '../refs.js';
import { deletedRows, deletedText } from './show.js';

export const del: CommandSpec = {
  name: 'delete',
  summary: 'delete an image (every version of a tag, or one version) and its manifest from the registry',
  positionals: [{ name: 'uri', required: true }],
  options: {
    'dry-run': { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
    force: { type: 'boolean', short: 'f' },
  },
  optionHelp: [
    { flag: '--dry-run', text: 'list the versions that would be deleted and whether their bytes go; delete nothing' },
    { flag: '-y, --yes', text: 'do not ask on a terminal before deleting' },
    { flag: '-f, --force', text: 'the same as --yes' },
  ],
  description:
    "A tag (the default is latest) deletes that tag's manifests (every version pushed under it;\n" +
    '@<version>: that version only), and each version file no other tag names afterwards\n' +
    '(old versions still tagged elsewhere stay: see prune). Runs one Globus delete task and waits for it. On a terminal it lists the versions and asks first, unless --yes or\n' +
    '--force; in scripts (no terminal) it does not ask. Local copies and records stay (see rm).',
  examples: [
    'sregistry-globus delete globus://6c4d0e3a-0000-4000-8000-000000000001/library/lolcow:v1 --dry-run',
    'sregistry-globus delete globus://my-collection/lab/app:v1 --yes',
  ],
  globus: true,
  registry: true,
  async run(ctx) {
    const uri = remoteImage(ctx.positionals[0] as string);
    const registry = ctx.registry();
    const dryRun = ctx.values['dry-run'] === true;
    const sure = ctx.values.yes === true || ctx.values.force === true;
    if (dryRun || !sure) {
      const planned = await registry.delete(uri, { signal: ctx.signal, dryRun: true });
      if (!dryRun) {
        const asked = ctx.confirm(
          `${planned.deleted.map((u) => `would delete ${u}`).join('\n')}\nDelete ${planned.deleted.length} version${planned.deleted.length === 1 ? '' : 's'} (their manifests, and each version file no other tag names)?`,
        );
        if (asked !== undefined && !(await asked)) {
          ctx.output.line('nothing deleted: not confirmed (--yes or --force deletes without asking)');
          return { json: { deleted: [], confirmed: false }, text: '', rows: [], exitCode: EXIT_FAILED };
        }
      } else {
        return { json: planned, text: deletedText(planned), rows: deletedRows(planned) };
      }
    }
    const result = await registry.delete(uri, { signal: ctx.signal });
    return { json: result, text: deletedText(result), rows: deletedRows(result) };
  },
};
