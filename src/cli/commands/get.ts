import { SregistryError } from '../../index.js';
import { existsSync } from 'node:fs';
import type { CommandSpec } from '../command.js';

export const get: CommandSpec = {
  name: 'get',
  summary: 'print the local file of an image (or the URL of a record-only one), for $(...)',
  positionals: [{ name: 'ref', required: true }],
  options: {},
  optionHelp: [],
  description:
    'Looks up the newest local record of [collection/]name[:tag][@version] and prints its\n' +
    'file, or, for an image recorded without a file, its URL: one line and nothing else, as\n' +
    "sregistry-cli's get, so that singularity run $(sregistry-globus get lab/app) works.",
  examples: ['sregistry-globus get lab/app:v1', 'singularity run "$(sregistry-globus get lab/app)"'],
  globus: false,
  registry: true,
  async run(ctx) {
    const ref = ctx.positionals[0] as string;
    const found = await ctx.registry().inspect(ref);
    if (!found) throw new SregistryError('NOT_FOUND', `No local record of ${ref}: pull or record it first, or list records with "sregistry-globus images"`);
    const file = found.image && existsSync(found.image) ? found.image : undefined;
    const answer = file ?? found.url ?? undefined;
    if (!answer) {
      throw new SregistryError('NOT_FOUND', `The record of ${ref} has neither a file${found.image ? ` (${found.image} is gone)` : ''} nor a URL: pull it again`);
    }
    return { json: { ...found, get: answer }, text: answer, rows: [[answer]] };
  },
};
