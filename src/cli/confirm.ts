/** One yes/no question on the terminal: the answer is yes only when it starts with "y". */
import { createInterface } from 'node:readline';
import type { Redactor } from '../index.js';

export function askYesNo(
  stdin: NodeJS.ReadableStream,
  stderr: NodeJS.WritableStream,
  redactor: Redactor,
  question: string,
  signal: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: stdin, output: stderr, terminal: false });
    let settled = false;
    const finish = (answer: boolean) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      rl.close();
      resolve(answer);
    };
    const onAbort = () => finish(false);
    signal.addEventListener('abort', onAbort);
    rl.on('line', (line) => finish(/^\s*y(es)?\s*$/i.test(line)));
    // End of input without an answer is a no.
    rl.on('close', () => finish(false));
    stderr.write(redactor.redact(`${question} [y/N] `));
  });
}
