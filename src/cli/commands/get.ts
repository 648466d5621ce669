import { SregistryError } from '../../index.js';
import { existsSync } from 'node:fs';
import type { CommandContext, CommandSpec } from '../command.js';
import type { LocalImage } from '../../index.js';

export const get: CommandSpec = {
  name: 'get',
  summary: 'print the local file of an image (or the URL of a record-only one), for $(...)',
  positionals: [{ name: 'ref', required: true }],
  options: {},
  optionHelp: [],
  description:
    'Looks up the newest local record of [collection/]name[:tag][@version] and prints its\n' +
    'file, or, for an image recorded without a file, its URL: one line and nothing else, as\n' +
    "sregistry-cli's get, for $(...). Without a tag it is latest, or the one tag recorded locally\n" +
    'when there is no latest; several tags are an error that lists them (see images).',
  examples: [
    'sregistry-globus get lab/app   # latest, or the only tag pulled',
    'singularity run "$(sregistry-globus get lab/app:v1)"',
  ],
  globus: false,
  registry: true,
  async run(ctx) {
    const ref = ctx.positionals[0] as string;
    const found = await localRecord(ctx, ref);
    const file = found.image && existsSync(found.image) ? found.image : undefined;
    const answer = file ?? found.url ?? undefined;
    if (!answer) {
      throw new SregistryError(
        'NOT_FOUND',
        `The record of ${ref} has neither a file${found.image ? ` (${found.image} is gone)` : ''} nor a URL: pull it again`,
      );
    }
    return { json: { ...found, get: answer }, text: answer, rows: [[answer]] };
  },
};

/** The newest local record of `ref`, or the NOT_FOUND that get and inspect give. */
export async function localRecord(ctx: CommandContext, ref: string): Promise<LocalImage> {
  const found = await ctx.registry().inspect(ref);
  if (!found)
    throw new SregistryError(
      'NOT_FOUND',
      `No local record of ${ref}: pull or record it first, or list records with "sregistry-globus images"`,
    );
  return found;
}
