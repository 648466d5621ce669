import { displayLine, type DoctorReport } from '../../index.js';
import type { CommandSpec } from '../command.js';
import { EXIT_FAILED } from '../errors.js';
import { table } from '../output.js';

export const doctor: CommandSpec = {
  name: 'doctor',
  summary: 'check the credentials, a collection and the way to it; --probe measures how Globus behaves there',
  positionals: [{ name: 'globus://<endpoint>', required: false }],
  options: { probe: { type: 'boolean' } },
  optionHelp: [
    {
      flag: '--probe',
      text: 'also measure the unverified Globus behaviours (rename collision, mkdir missing parent, HTTPS PUT, Range, Basic forms, 429 Retry-After) in a scratch folder it removes',
    },
  ],
  description:
    'One line per check, with what to do when it fails: credentials (a token for each scope needed), the endpoint\n' +
    '(found, type, HTTPS server, consent needed), the registry root (found or creatable), read and write permission\n' +
    '(in a scratch folder it removes), the transport auto would pick, the local endpoint if configured (connected?).\n' +
    'Exit status 0 when every check passes, 1 when one fails.',
  examples: [
    'sregistry-globus doctor',
    'sregistry-globus doctor globus://6c4d0e3a-0000-4000-8000-000000000001',
    'sregistry-globus doctor --probe globus://lab-registry --json',
  ],
  globus: true,
  registry: true,
  async run(ctx) {
    const report = await ctx
      .registry()
      .doctor(ctx.positionals[0], { signal: ctx.signal, probe: ctx.values.probe === true });
    return { json: report, text: doctorText(report), ...(report.ok ? {} : { exitCode: EXIT_FAILED }) };
  },
};

const MARK = { ok: 'ok', fail: 'FAIL', skip: '-' } as const;

export function doctorText(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.check.length));
  const lines: string[] = [];
  for (const c of report.checks) {
    // Details quote what Globus answered (display names, messages): escaped, one line each.
    lines.push(`${MARK[c.status].padEnd(4)}  ${c.check.padEnd(width)}  ${displayLine(c.detail)}`);
    if (c.fix && c.status !== 'ok') lines.push(`${' '.repeat(6 + width)}  what to do: ${displayLine(c.fix)}`);
  }
  if (report.probes) {
    lines.push(
      '',
      'Globus behaviour measured (rows of docs/globus-behaviour.md):',
      table(
        ['BEHAVIOUR', 'VARIANT', 'OBSERVED'],
        report.probes.map((p) => [p.behaviour, p.variant, p.observed]),
      ).trimEnd(),
    );
  }
  lines.push(
    '',
    report.ok ? 'all checks passed' : `${report.checks.filter((c) => c.status === 'fail').length} check(s) failed`,
  );
  return `${lines.join('\n')}\n`;
}
