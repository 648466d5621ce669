/** --help texts, built from the command specs. */
import { GLOBUS_HELP, OUTPUT_HELP } from './args.js';
import type { CommandSpec, OptionHelp } from './command.js';

const ENVIRONMENT = [
  'GLOBUS_CLIENT_ID, GLOBUS_CLIENT_SECRET   the confidential client (required to talk to Globus)',
  'GLOBUS_CLIENT_SECRET_FILE                the secret read from a file instead',
  "GLOBUS_CLI_CLIENT_ID, GLOBUS_CLI_CLIENT_SECRET   globus-cli's names, read when ours are unset",
  'GLOBUS_SDK_ENVIRONMENT, GLOBUS_SDK_SERVICE_URL_AUTH, GLOBUS_SDK_SERVICE_URL_TRANSFER',
  'SREGISTRY_GLOBUS_ROOT, SREGISTRY_GLOBUS_TRANSPORT, SREGISTRY_GLOBUS_LOCAL_ENDPOINT,',
  'SREGISTRY_GLOBUS_LOCAL_PATH_MAP, SREGISTRY_STORAGE,',
  'SREGISTRY_DATABASE (the folder of sregistry.db, as sregistry-cli),',
  'SREGISTRY_GLOBUS_DATABASE_FILE   (flags win over these)',
];

/** Help lines stay within this many columns (a flag's text wraps under itself). */
export const HELP_WIDTH = 100;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

function optionLines(options: OptionHelp[]): string[] {
  const width = Math.max(...options.map((o) => o.flag.length));
  const indent = ' '.repeat(width + 4);
  return options.flatMap((o) =>
    wrap(o.text, Math.max(30, HELP_WIDTH - indent.length)).map((t, i) =>
      i === 0 ? `  ${o.flag.padEnd(width)}  ${t}` : `${indent}${t}`,
    ),
  );
}

function usageLine(spec: CommandSpec): string {
  const args = spec.positionals.map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`));
  return ['sregistry-globus', spec.name, ...args, '[options]'].join(' ');
}

/** The shared flags in a line or two, for a command's help; sregistry-globus --help explains them. */
function sharedFlags(options: OptionHelp[]): string[] {
  const flags = options.map(
    (o) =>
      o.flag.split(' ')[0]!.replace(/,$/, '') +
      (o.flag.includes(', --') ? `/${o.flag.split(', ')[1]!.split(' ')[0]}` : ''),
  );
  const lines: string[] = [];
  let line = ' ';
  for (const flag of flags) {
    if (line.length + flag.length + 1 > 90) {
      lines.push(line);
      line = ' ';
    }
    line += ` ${flag}`;
  }
  return [...lines, line];
}

export function commandHelp(spec: CommandSpec): string {
  const description = spec.description
    .split(/\n{2,}/)
    .map((p) => wrap(p.replace(/\s*\n\s*/g, ' '), HELP_WIDTH).join('\n'))
    .join('\n\n');
  const lines = [
    `Usage: ${usageLine(spec)}`,
    '',
    spec.summary[0]!.toUpperCase() + spec.summary.slice(1) + '.',
    '',
    description,
    '',
  ];
  if (spec.optionHelp.length > 0)
    lines.push(spec.standalone ? 'Options:' : 'Options of this command:', ...optionLines(spec.optionHelp), '');
  if (!spec.standalone) {
    const shared = spec.registry ? [...GLOBUS_HELP, ...OUTPUT_HELP] : OUTPUT_HELP;
    lines.push(`Shared options (explained in "sregistry-globus --help"):`, ...sharedFlags(shared), '');
  }
  lines.push('Examples:', ...spec.examples.map((e) => `  ${e}`), '');
  return lines.join('\n');
}

export function generalHelp(commands: CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: sregistry-globus <command> [arguments] [options]',
    '',
    'A registry of Singularity/Apptainer SIF images on Globus storage.',
    '',
    'Commands:',
    ...commands.flatMap((c) =>
      wrap(c.summary, HELP_WIDTH - width - 4).map((t, i) =>
        i === 0 ? `  ${c.name.padEnd(width)}  ${t}` : `${' '.repeat(width + 4)}${t}`,
      ),
    ),
    '',
    'Run "sregistry-globus <command> --help" for its own options and examples.',
    '',
    'Examples:',
    '  sregistry-globus demo',
    '  export GLOBUS_CLIENT_ID=... GLOBUS_CLIENT_SECRET=...',
    '  sregistry-globus push ./lolcow.sif globus://<endpoint id>/library/lolcow:latest',
    '  sregistry-globus pull globus://<endpoint id>/library/lolcow:latest --json',
    '',
    'Options of every command that talks to a registry (before or after the command):',
    ...optionLines(GLOBUS_HELP),
    '',
    'Output options (every command):',
    ...optionLines(OUTPUT_HELP),
    '',
    'Environment:',
    ...ENVIRONMENT.map((e) => `  ${e}`),
    '',
    'Exit status: 0 success, 1 the operation failed, 2 usage error (a malformed reference too),',
    '130 interrupted.',
    '',
  ].join('\n');
}
