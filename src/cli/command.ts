/** What one subcommand declares and what it is handed when it runs. */
import type { ParseArgsOptionsConfig } from 'node:util';
import { type Registry, type RegistryOptions } from '../index.js';
import type { Output, Streams } from './output.js';

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface Positional {
  name: string;
  required: boolean;
}

export interface OptionHelp {
  /** As shown, e.g. `--tag TAG`. */
  flag: string;
  text: string;
}

export interface CommandSpec {
  name: string;
  /** One line for the command list. */
  summary: string;
  positionals: Positional[];
  /** Options of this command beyond the common ones. */
  options: ParseArgsOptionsConfig;
  optionHelp: OptionHelp[];
  /** Longer explanation for --help. */
  description: string;
  examples: string[];
  /** Talks to Globus: needs the client credentials. */
  globus: boolean;
  /** Uses the registry (takes --transport, --storage...); false for demo and sandbox. */
  registry: boolean;
  /** Takes only its own options, not the common ones (sandbox, which passes them on). */
  standalone?: boolean;
  run(ctx: CommandContext): Promise<CommandResult>;
}

export interface CommandContext {
  argv: string[];
  values: OptionValues;
  positionals: string[];
  output: Output;
  streams: Streams;
  /** Built once, lazily, from the environment and the flags; wired to progress and events. */
  registry(): Registry;
  /** Progress and event hooks that show on stderr, for registries a command builds itself. */
  hooks: Pick<RegistryOptions, 'onProgress' | 'onEvent'>;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** Asks a yes/no question on the terminal; undefined when stdin or stderr is not a terminal (nobody to ask). */
  confirm(question: string): Promise<boolean> | undefined;
}

export interface CommandResult {
  /** The --json document. */
  json: unknown;
  /** What a person reads on stdout. */
  text: string;
  /** `-F unix`: the records, one per line (fields joined by tabs); text is printed when absent. */
  rows?: Array<Array<string | number | null | undefined>>;
  /** Exit code when not 0 (a command may succeed partially). */
  exitCode?: number;
  /** The command wrote its own output already (sandbox). */
  handled?: boolean;
}
