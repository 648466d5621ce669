/** --help texts, built from the command specs. */
import { GLOBUS_HELP, OUTPUT_HELP } from './args.js';
import type { CommandSpec, OptionHelp } from './command.js';

const ENVIRONMENT = [
  'GLOBUS_CLIENT_ID, GLOBUS_CLIENT_SECRET   the confidential client (required to talk to Globus)',
  'GLOBUS_CLIENT_SECRET_FILE                the secret read from a file instead',
  'GLOBUS_CLI_CLIENT_ID, GLOBUS_CLI_CLIENT_SECRET   globus-cli\'s names, read when ours are unset',
  'GLOBUS_SDK_ENVIRONMENT, GLOBUS_SDK_SERVICE_URL_AUTH, GLOBUS_SDK_SERVICE_URL_TRANSFER',
  'SREGISTRY_GLOBUS_ROOT, SREGISTRY_GLOBUS_TRANSPORT, SREGISTRY_GLOBUS_LOCAL_ENDPOINT,',
  'SREGISTRY_GLOBUS_LOCAL_PATH_MAP, SREGISTRY_STORAGE,',
  'SREGISTRY_DATABASE (the folder of sregistry.db, as sregistry-cli), SREGISTRY_GLOBUS_DATABASE_FILE   (flags win)',
];

function optionLines(options: OptionHelp[]): string[] {
  const width = Math.max(...options.map((o) => o.flag.length));
  return options.map((o) => `  ${o.flag.padEnd(width)}  ${o.text}`);
}

function usageLine(spec: CommandSpec): string {
  const args = spec.positionals.map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`));
  return ['sregistry-globus', spec.name, ...args, '[options]'].join(' ');
}

export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: ${usageLine(spec)}`, '', spec.summary[0]!.toUpperCase() + spec.summary.slice(1) + '.', '', spec.description, ''];
  if (spec.optionHelp.length > 0) lines.push(spec.standalone ? 'Options:' : 'Options of this command:', ...optionLines(spec.optionHelp), '');
  if (!spec.standalone) {
    if (spec.registry) lines.push('Registry options:', ...optionLines(GLOBUS_HELP), '');
    lines.push('Output options:', ...optionLines(OUTPUT_HELP), '');
  }
  lines.push('Examples:', ...spec.examples.map((e) => `  ${e}`), '');
  if (spec.registry) lines.push('Environment:', ...ENVIRONMENT.map((e) => `  ${e}`), '');
  lines.push('Exit status: 0 success, 1 the operation failed, 2 usage error (a malformed reference too), 130 interrupted.', '');
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
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "sregistry-globus <command> --help" for its options and examples.',
    '',
    'Examples:',
    '  sregistry-globus demo',
    '  export GLOBUS_CLIENT_ID=... GLOBUS_CLIENT_SECRET=...',
    '  sregistry-globus push ./lolcow.sif globus://<endpoint id>/library/lolcow:latest',
    '  sregistry-globus pull globus://<endpoint id>/library/lolcow:latest --json',
    '',
    'Options: -h, --help (this help), -V, --version; a command\'s options may also come before it.',
    '',
  ].join('\n');
}
