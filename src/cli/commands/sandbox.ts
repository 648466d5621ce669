import type { CommandSpec } from '../command.js';
import { EXIT_OK } from '../errors.js';

/**
 * `sregistry-globus sandbox` is `node bin/sandbox.js`: same options, same output. Its
 * output is not redacted: printing the sandbox's own local credentials is its purpose.
 */
export const sandbox: CommandSpec = {
  name: 'sandbox',
  summary: 'run a local Globus sandbox (Auth, Transfer, collection HTTPS) until Ctrl-C',
  positionals: [],
  options: {
    data: { type: 'string' },
    share: { type: 'string', multiple: true },
    config: { type: 'string' },
    port: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  optionHelp: [
    {
      flag: '--data DIR',
      text: "folder for the sandbox's files (created 0700); default a temp folder removed on exit",
    },
    { flag: '--share DIR', text: 'a folder the personal endpoint may reach besides <data>/personal (repeatable)' },
    { flag: '--config FILE', text: 'JSON world: clients, endpoints, permissions (see docs/sandbox.md)' },
    { flag: '--port N', text: 'port of the Auth + Transfer origin (default: any free port)' },
    { flag: '--json', text: 'print one line of JSON when ready, nothing else' },
    { flag: '-h, --help', text: 'show this help' },
  ],
  description:
    'Starts a Globus stand-in on 127.0.0.1 whose endpoints are folders on this machine, and\n' +
    'prints the GLOBUS_* variables that point sregistry-globus (and Globus SDKs) at it.',
  examples: ['sregistry-globus sandbox', 'sregistry-globus sandbox --data ./sandbox-data --port 8470 --json'],
  globus: false,
  registry: false,
  standalone: true,
  async run(ctx) {
    // Loaded here, not at start-up: the other commands never need the sandbox.
    const { main: sandboxMain } = await import('../../sandbox/main.js');
    const code = await sandboxMain(ctx.argv, {
      stdout: ctx.streams.stdout,
      stderr: ctx.streams.stderr,
      signal: ctx.signal,
    });
    return { json: null, text: '', handled: true, ...(code !== EXIT_OK ? { exitCode: code } : {}) };
  },
};
