/** `sregistry-globus`: parse the command line, run one command, report, return the exit code. */
import { parseArgs } from 'node:util';
import { Registry, type RegistryEvent, Redactor } from '../index.js';
import { commandFirst, looseFormat, OUTPUT_OPTIONS, outputFormat, parseCommandLine, registryOptions } from './args.js';
import type { CommandContext, CommandSpec } from './command.js';
import { access } from './commands/access.js';
import { add } from './commands/add.js';
import { del } from './commands/delete.js';
import { get } from './commands/get.js';
import { rm } from './commands/rm.js';
import { demo } from './commands/demo.js';
import { doctor } from './commands/doctor.js';
import { images } from './commands/images.js';
import { inspect } from './commands/inspect.js';
import { prune } from './commands/prune.js';
import { pull } from './commands/pull.js';
import { push } from './commands/push.js';
import { record } from './commands/record.js';
import { replicate } from './commands/replicate.js';
import { sandbox } from './commands/sandbox.js';
import { search } from './commands/search.js';
import { watch } from './commands/watch.js';
import {
  debugDetails,
  errorDocument,
  errorLine,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
  exitCodeFor,
  UsageError,
} from './errors.js';
import { describeCall } from './calls.js';
import { commandHelp, generalHelp } from './help.js';
import { parseArgsMessage, unknownCommand } from './suggest.js';
import { Output, unixLines, useColour, type Streams } from './output.js';
import { askYesNo } from './confirm.js';
import { ProgressReporter } from './progress.js';
import { version } from './version.js';

export { version };

export const COMMANDS: CommandSpec[] = [
  push,
  pull,
  record,
  search,
  del,
  prune,
  replicate,
  access,
  watch,
  inspect,
  images,
  get,
  add,
  rm,
  doctor,
  sandbox,
  demo,
];

export interface MainIO {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Defaults to whether process.stderr is a terminal. */
  stderrIsTTY?: boolean;
  /** The terminal's width; defaults to process.stderr's when it is a terminal. */
  columns?: number;
  /** Defaults to whether process.stdout is a terminal (colour only there, see useColour). */
  stdoutIsTTY?: boolean;
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
  /** Defaults to whether process.stdin is a terminal: only then does delete ask before deleting. */
  stdinIsTTY?: boolean;
  /** Stops the command like Ctrl-C would (for callers that embed the CLI). */
  signal?: AbortSignal;
}

export async function main(given: string[], io: MainIO = {}): Promise<number> {
  // Global flags may come before the command, as with globus-cli and sregistry-cli.
  const argv = commandFirst(given, [...COMMANDS.map((c) => c.name), 'help']);
  const env = io.env ?? process.env;
  const stderrIsTTY = io.stderrIsTTY ?? process.stderr.isTTY === true;
  const streams: Streams = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    stderrIsTTY,
    ...(stderrIsTTY && (io.columns ?? process.stderr.columns) ? { columns: io.columns ?? process.stderr.columns } : {}),
    colour: {
      stdout: useColour(env, io.stdoutIsTTY ?? (io.stdout ? false : process.stdout.isTTY === true)),
      stderr: useColour(env, stderrIsTTY),
    },
  };
  if (!io.stdout) ignoreClosedPipe(process.stdout);
  const redactor = new Redactor();
  redactor.add(env.GLOBUS_CLIENT_SECRET);
  redactor.add(env.GLOBUS_CLI_CLIENT_SECRET);
  redactor.add(env.SREGISTRY_GLOBUS_SIGNING_PASSPHRASE);

  const [name, ...rest] = argv;
  if (name === undefined || name.startsWith('-')) return topLevel(argv, streams, redactor);
  const spec = name === 'help' ? undefined : COMMANDS.find((c) => c.name === name);
  if (name === 'help') {
    const target = COMMANDS.find((c) => c.name === rest[0]);
    const output = new Output(streams, { json: false, unix: false, quiet: false, debug: false }, redactor);
    if (rest[0] !== undefined && !target) {
      output.line(
        errorLine(
          new UsageError(
            unknownCommand(
              rest[0],
              COMMANDS.map((c) => c.name),
            ),
          ),
          undefined,
        ),
      );
      return EXIT_USAGE;
    }
    output.result(target ? commandHelp(target) : generalHelp(COMMANDS));
    return EXIT_OK;
  }
  if (!spec) {
    const output = new Output(streams, { json: false, unix: false, quiet: false, debug: false }, redactor);
    output.line(errorLine(new UsageError(unknownCommand(name, [...COMMANDS.map((c) => c.name), 'help'])), undefined));
    return EXIT_USAGE;
  }
  return runCommand(spec, rest, streams, env, redactor, io);
}

function topLevel(argv: string[], streams: Streams, redactor: Redactor): number {
  const output = new Output(streams, { json: false, unix: false, quiet: false, debug: false }, redactor);
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: { help: OUTPUT_OPTIONS.help, version: OUTPUT_OPTIONS.version },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    const options = { help: OUTPUT_OPTIONS.help, version: OUTPUT_OPTIONS.version };
    output.line(
      errorLine(
        new UsageError(
          `${parseArgsMessage(err as Error, options)}; give a command first, e.g. "sregistry-globus pull <uri> --json"`,
        ),
        undefined,
      ),
    );
    return EXIT_USAGE;
  }
  if (values.version) {
    output.result(version());
    return EXIT_OK;
  }
  output.result(generalHelp(COMMANDS));
  // No command at all is a usage error; asking for help is not.
  return values.help ? EXIT_OK : EXIT_USAGE;
}

async function runCommand(
  spec: CommandSpec,
  argv: string[],
  streams: Streams,
  env: NodeJS.ProcessEnv,
  redactor: Redactor,
  io: MainIO,
): Promise<number> {
  const signal = io.signal;
  // Decide the format before the strict parse, so a usage error is reported as JSON too.
  const loose = spec.standalone
    ? {}
    : parseArgs({ args: argv, options: OUTPUT_OPTIONS, strict: false, allowPositionals: true }).values;
  const looseAs = looseFormat(loose);
  let output = new Output(
    streams,
    { json: looseAs === 'json', unix: looseAs === 'unix', quiet: loose.quiet === true, debug: loose.debug === true },
    redactor,
  );
  let what = spec.name;
  let clientId: string | undefined;
  let registry: Registry | undefined;
  const interrupt = interruption(signal);
  let reporter: ProgressReporter | undefined;

  try {
    const parsed = parseCommandLine(spec, argv);
    const values = parsed.values;
    if (values.help) {
      output.result(commandHelp(spec));
      return EXIT_OK;
    }
    if (values.version) {
      output.result(version());
      return EXIT_OK;
    }
    if (!spec.standalone) {
      const format = outputFormat(values);
      output = new Output(
        streams,
        {
          json: format === 'json',
          unix: format === 'unix',
          quiet: values.quiet === true,
          debug: values.debug === true,
        },
        redactor,
      );
    }
    what = [spec.name, ...parsed.positionals].join(' ');
    const progress = new ProgressReporter(output, { tty: streams.stderrIsTTY });
    reporter = progress;
    const out = output;
    const onEvent = (event: RegistryEvent) => showEvent(out, event);
    const options = spec.registry ? registryOptions(values, env, spec.globus) : undefined;
    if (options) {
      clientId = options.globus.clientId || undefined;
      redactor.add(options.globus.clientSecret);
    }
    const ctx: CommandContext = {
      argv,
      values,
      positionals: parsed.positionals,
      output,
      streams,
      env,
      signal: interrupt.signal,
      hooks: { onProgress: progress.onProgress, onEvent },
      confirm: (question) => {
        const stdin = io.stdin ?? process.stdin;
        const terminal = io.stdinIsTTY ?? (process.stdin.isTTY === true && streams.stderrIsTTY);
        return terminal ? askYesNo(stdin, streams.stderr, redactor, question, interrupt.signal) : undefined;
      },
      registry() {
        if (!options) throw new Error(`${spec.name} does not use the registry`);
        registry ??= new Registry({
          ...options,
          onProgress: progress.onProgress,
          onEvent,
          onToken: (token) => redactor.add(token),
        });
        return registry;
      },
    };
    const result = await spec.run(ctx);
    progress.end();
    if (!result.handled) {
      if (output.mode.json) output.json(result.json);
      else if (output.mode.unix && result.rows) output.result(unixLines(result.rows));
      else output.result(result.text);
    }
    return result.exitCode ?? EXIT_OK;
  } catch (caught) {
    // Usage errors found outside the parser (bad values, missing variables) point at this command's help.
    const err = caught instanceof UsageError && !caught.command ? new UsageError(caught.message, spec.name) : caught;
    reporter?.end();
    output.clearStatus();
    const interrupted = interrupt.signal.aborted;
    output.line(errorLine(err, what, clientId));
    if (output.mode.debug) output.line(debugDetails(err));
    if (output.mode.json) output.json(errorDocument(err, clientId));
    return interrupted ? EXIT_INTERRUPTED : exitCodeFor(err);
  } finally {
    interrupt.dispose();
    await registry?.close().catch(() => undefined);
  }
}

function showEvent(output: Output, event: RegistryEvent): void {
  if (event.type === 'step') output.step(event.message);
  else if (event.type === 'notice') output.step(`note: ${event.message}`);
  else output.debug(describeCall(event.call));
}

/** `sregistry-globus images | head -1`: a reader that stops early is not a failure. */
function ignoreClosedPipe(stream: NodeJS.WriteStream): void {
  if (stream.listenerCount('error') > 0) return;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

/** Ctrl-C / SIGTERM abort the command once; a second one exits at once. */
function interruption(outer?: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let count = 0;
  const onSignal = () => {
    count++;
    if (count > 1) process.exit(EXIT_INTERRUPTED);
    controller.abort();
  };
  const onOuter = () => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (outer?.aborted) controller.abort();
  else outer?.addEventListener('abort', onOuter);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}
