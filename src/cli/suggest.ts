/** "Did you mean": the known word closest to a mistyped one, and parseArgs' complaints said plainly. */
import type { ParseArgsOptionsConfig } from 'node:util';

/** Edits (insert, delete, substitute, swap two neighbours) between two words. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate nearest to `word` when it is near enough to be a slip (a third of its letters, at least one), else undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

const didYouMean = (word: string, candidates: readonly string[]): string => {
  const near = closest(word, candidates);
  return near ? `; did you mean ${near}?` : '';
};

/** An unknown command, with the nearest known one. */
export function unknownCommand(name: string, commands: readonly string[]): string {
  const near = closest(name, commands);
  return near
    ? `unknown command ${JSON.stringify(name)}; did you mean ${near}?`
    : `unknown command ${JSON.stringify(name)}; commands: ${commands.join(', ')}`;
}

/** The flags a parseArgs configuration knows, as written on a command line. */
export function flagsOf(options: ParseArgsOptionsConfig): string[] {
  return Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);
}

/**
 * parseArgs' messages in one plain line: which flag, what was wrong, the nearest known
 * flag for an unknown one. Anything not recognised is passed on as it is.
 */
export function parseArgsMessage(err: Error & { code?: string }, options: ParseArgsOptionsConfig): string {
  const unknown = /^Unknown option '([^']+)'/.exec(err.message);
  if (unknown) return `unknown option ${unknown[1]}${didYouMean(unknown[1]!, flagsOf(options))}`;
  const missing = /^Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(err.message);
  if (missing) return `${missing[1]} needs a value`;
  const noValue = /^Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(err.message);
  if (noValue) return `${noValue[1]} takes no value`;
  const ambiguous = /^Option '(?:-\w, )?(--[\w-]+)(?: <value>)?' argument is ambiguous/.exec(err.message);
  if (ambiguous)
    return `${ambiguous[1]} needs a value, and the next word starts with "-": write ${ambiguous[1]}=<value>`;
  return err.message.replace(/\.$/, '');
}
