import type { CommandSpec } from '../command.js';

export const rm: CommandSpec = {
  name: 'rm',
  summary: 'remove the local records of an image and their stored files',
  positionals: [{ name: 'ref', required: true }],
  options: {},
  optionHelp: [],
  description:
    "As sregistry-cli's rm: removes every local record of [collection/]name[:tag][@version]\n" +
    'and the files in local storage that no other record names. Nothing on Globus changes\n' +
    '(that is delete). No Globus credentials needed.',
  examples: ['sregistry-globus rm lab/app:v1', 'sregistry-globus rm lab/app:v1 --json'],
  globus: false,
  registry: true,
  async run(ctx) {
    const result = await ctx.registry().remove(ctx.positionals[0] as string);
    const lines = [
      ...result.removed.map(
        (r) => `removed record ${r.collection}/${r.name}:${r.tag}${r.version ? `@${r.version}` : ''}`,
      ),
      ...result.files.map((f) => `removed file ${f}`),
      ...result.kept.map((f) => `kept ${f} (outside the storage folder)`),
    ];
    return {
      json: result,
      text: lines.join('\n') + '\n',
      rows: [...result.files.map((f) => ['file', f]), ...result.kept.map((f) => ['kept', f])],
    };
  },
};
