import {
  DEFAULT_WATCH_INTERVAL_MS,
  MIN_WATCH_INTERVAL_MS,
  loadWatchState,
  saveWatchState,
  type WatchEvent,
} from '../../index.js';
import type { CommandContext, CommandSpec } from '../command.js';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, UsageError, errorLine } from '../errors.js';
import { formatTime } from '../output.js';

const MIN_SECONDS = MIN_WATCH_INTERVAL_MS / 1000;

function intervalFlag(value: string | undefined): number {
  if (value === undefined) return DEFAULT_WATCH_INTERVAL_MS;
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < MIN_SECONDS) {
    throw new UsageError(
      `--interval must be a number of seconds of at least ${MIN_SECONDS}, not ${JSON.stringify(value)}`,
    );
  }
  return Math.round(seconds * 1000);
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export const watch: CommandSpec = {
  name: 'watch',
  summary: 'report each new version of an image, a name or a collection as one JSON line',
  positionals: [{ name: 'uri', required: true }],
  options: {
    interval: { type: 'string' },
    pull: { type: 'boolean' },
    state: { type: 'string' },
    once: { type: 'boolean' },
    'from-start': { type: 'boolean' },
  },
  optionHelp: [
    {
      flag: '--interval SECONDS',
      text: `time between checks (default ${DEFAULT_WATCH_INTERVAL_MS / 1000}, at least ${MIN_SECONDS})`,
    },
    { flag: '--pull', text: 'pull each new version before reporting it (the line then has "image")' },
    { flag: '--state FILE', text: 'keep what was seen in FILE, so a restarted watch does not report it again' },
    { flag: '--once', text: 'check once and exit (1 when the check failed)' },
    { flag: '--from-start', text: 'on a fresh state, report the versions already there too' },
  ],
  description:
    'Checks the target at an interval and prints one JSON line on stdout per new complete\n' +
    'version: globus://<endpoint>/<collection>/<name>:<tag> watches that tag,\n' +
    'globus://<endpoint>/<collection>/<name> every tag of the name, globus://<endpoint>/<collection>\n' +
    'every name of the collection. Versions already there when a watch starts afresh are\n' +
    'not reported (unless --from-start). Each check lists each watched folder once. Errors\n' +
    'that may pass (network, rate limits, a failed pull) are reported on stderr and the watch\n' +
    'goes on; Ctrl-C stops it (exit 130).',
  examples: [
    'sregistry-globus watch globus://lab-registry/lab/analysis:latest --pull --state ~/.sregistry-watch.json',
    'sregistry-globus watch globus://lab-registry/lab --interval 300 | jq --unbuffered -r .uri',
  ],
  globus: true,
  registry: true,
  async run(ctx) {
    const target = ctx.positionals[0] as string;
    const intervalMs = intervalFlag(typeof ctx.values.interval === 'string' ? ctx.values.interval : undefined);
    const stateFile = typeof ctx.values.state === 'string' ? ctx.values.state : undefined;
    const state = stateFile === undefined ? undefined : await loadWatchState(stateFile, target);
    const once = ctx.values.once === true;
    const running = ctx.registry().watch(target, {
      intervalMs,
      signal: ctx.signal,
      pull: ctx.values.pull === true,
      once,
      fromStart: ctx.values['from-start'] === true,
      ...(state ? { state } : {}),
    });
    if (state === undefined)
      ctx.output.step(
        `watching ${target} every ${intervalMs / 1000} s (versions there now are ${ctx.values['from-start'] ? 'reported' : 'not reported'})`,
      );
    else ctx.output.step(`watching ${target} every ${intervalMs / 1000} s, from the state in ${stateFile}`);
    let failed = false;
    const tally = { checks: 0, found: 0 };
    for await (const event of running) {
      show(ctx, event, target, once, tally);
      if (event.type === 'error') failed = true;
      // Saved after the line is out: a crash in between reports that version again, never loses it.
      if (stateFile !== undefined && event.type !== 'error') await saveWatchState(stateFile, event.state);
    }
    ctx.output.clearStatus();
    const exitCode = ctx.signal.aborted ? EXIT_INTERRUPTED : once && failed ? EXIT_FAILED : EXIT_OK;
    return { json: null, text: '', handled: true, exitCode };
  },
};

/**
 * Versions on stdout, errors on stderr; each check is a line on stderr, except on a
 * terminal, where one status line is updated in place (the version lines and errors are
 * written above it).
 */
function show(
  ctx: CommandContext,
  event: WatchEvent,
  target: string,
  once: boolean,
  tally: { checks: number; found: number },
): void {
  if (event.type === 'version') ctx.output.jsonLine(event.version);
  else if (event.type === 'error')
    ctx.output.line(`${errorLine(event.error, `watch ${target}`)}${once ? '' : '; watching goes on'}`);
  else {
    tally.checks++;
    tally.found += event.found;
    const failed = event.failed ? `, ${plural(event.failed, 'folder')} failed` : '';
    if (ctx.streams.stderrIsTTY && ctx.output.showsProgress && !once) {
      const at = formatTime(Date.now());
      ctx.output.status(
        `watching: ${plural(tally.checks, 'check')}, the last at ${at} (${plural(event.folders, 'folder')}${failed}); ${plural(tally.found, 'new version')} so far`,
      );
    } else
      ctx.output.step(`checked ${plural(event.folders, 'folder')}: ${plural(event.found, 'new version')}${failed}`);
  }
}
