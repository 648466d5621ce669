/**
 * What `bin/sregistry-globus.js` runs: `--version` is answered from package.json alone;
 * anything else loads the command line (and, through it, the core) only then, so asking
 * for the version costs about as much as starting Node.
 */
import { version } from './version.js';

export async function start(argv: string[]): Promise<number> {
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const { main } = await import('./main.js');
  return main(argv);
}
