/** STUB: `npm run sandbox` / `sregistry-globus sandbox`; filled in by the sandbox start helper. */
export async function main(_argv: string[]): Promise<number> {
  return 1;
}
