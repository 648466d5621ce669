// Child process for the records concurrency test: upserts `count` records into one database.
// argv: <records module URL> <database file> <worker number> <count>
const [moduleUrl, file, worker, count] = process.argv.slice(2);
const { openRecords } = await import(moduleUrl);
const records = openRecords(file);
const v = (n) => n.toString(16).padStart(64, '0');
try {
  for (let i = 0; i < Number(count); i++) {
    records.upsert({ collection: `w${worker}`, name: `img${i}`, tag: 'latest', version: v(i), metrics: { worker, i } });
    // Every worker also rewrites the same shared rows, so writers truly contend for them.
    records.upsert({ collection: 'shared', name: 'img', tag: `t${i % 5}`, version: v(1), metrics: { worker, i } });
  }
} finally {
  records.close();
}
