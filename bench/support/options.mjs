// Numeric command-line options of the bench scripts: `--name N`.
const args = process.argv.slice(2);

/** The number after `name` on the command line, or `fallback` when it is not there. */
export function numberOption(name, fallback) {
  const at = args.indexOf(name);
  return at === -1 ? fallback : Number(args[at + 1]);
}
