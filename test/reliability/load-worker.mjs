// Child process of the load test: one Registry on the built library running its share of
// pulls and records all at once, on the storage and database every worker shares.
// argv: <lib index URL> <JSON {globus, storage, database, pulls: [uri], records: [uri]}>
// Prints one JSON line: {"ok": n, "failed": [{uri, code, message}]}.
const [libUrl, configText] = process.argv.slice(2);
const { Registry } = await import(libUrl);
const config = JSON.parse(configText);
const registry = new Registry({
  globus: config.globus,
  storage: config.storage,
  database: config.database,
  transport: 'https',
});
const jobs = [
  ...config.pulls.map((uri) => () => registry.pull(uri)),
  ...config.records.map((uri) => () => registry.record(uri)),
];
const failed = [];
let ok = 0;
await Promise.all(
  jobs.map(async (job, i) => {
    try {
      await job();
      ok++;
    } catch (err) {
      failed.push({ job: i, code: err?.code ?? 'INTERNAL', message: String(err?.message ?? err) });
    }
  }),
);
await registry.close();
process.stdout.write(`${JSON.stringify({ ok, failed })}\n`);
