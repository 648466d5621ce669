// One GET of `url` through the core's dispatcher and streamedRequest, its body handed to a
// sink; prints what the process's memory did meanwhile as one JSON line. Used by
// bench/pull-memory.mjs (run with node flags of its choosing).
//   node bench/support/exchange-probe.mjs <url> <token> <sink: none|copy|download> [file]
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

const [url, token, sinkName, file] = process.argv.slice(2);
const { networkFor, closeHttp } = await import('../../lib/core/http/agent.js');
const { streamedRequest } = await import('../../lib/core/http/streamed-exchange.js');

const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
const sample = () => {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
};
const gcs = { minor: 0, major: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.detail?.kind === 1) gcs.minor++;
    else gcs.major++;
  }
}).observe({ entryTypes: ['gc'] });
let chunks = 0;
let bytes = 0;
let paused = 0;
const stage = Buffer.allocUnsafe(4 * 1024 * 1024);
let filled = 0;
const started = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const timer = setInterval(sample, 5);

const network = networkFor();
if (sinkName === 'download') {
  const { ResumableDownload } = await import('../../lib/core/collection/download.js');
  const size = Number(process.argv[6]);
  const dl = new ResumableDownload({
    destination: file,
    action: 'probe',
    where: url,
    policy: { maxRetries: 0, sleep: async () => undefined, baseDelayMs: 1, maxDelayMs: 1 },
    expectedSize: size,
    get: async (headers) => {
      const res = await streamedRequest(
        new URL(url),
        { method: 'GET', headers: { ...headers }, headersTimeout: 30_000, bodyTimeout: 30_000 },
        network.dispatcher,
      );
      return { status: res.statusCode, headers: res.headers, body: res.body, dump: async () => res.body.resume() };
    },
    fail: async (res) => new Error(`HTTP ${res.status}`),
    onChunk: (c) => {
      chunks++;
      bytes += c.length;
    },
  });
  await dl.run(token);
  await dl.close();
} else {
  const res = await streamedRequest(
    new URL(url),
    { method: 'GET', headers: { authorization: `Bearer ${token}` }, headersTimeout: 30_000, bodyTimeout: 30_000 },
    network.dispatcher,
  );
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
  await res.body.consume((chunk) => {
    chunks++;
    bytes += chunk.length;
    if (sinkName === 'copy') {
      const n = Math.min(chunk.length, stage.length - filled);
      chunk.copy(stage, filled, 0, n);
      filled += n;
      if (filled === stage.length) {
        filled = chunk.length - n;
        chunk.copy(stage, 0, n);
        paused++;
        return new Promise((r) => setTimeout(r, 1));
      }
    }
    return undefined;
  });
}
clearInterval(timer);
sample();
const cpu = process.cpuUsage(cpu0);
await closeHttp();
const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const mb = (n) => Math.round(n / 1e5) / 10;
console.log(
  JSON.stringify({
    sink: sinkName,
    hwmMB: Math.round(hwm),
    peakRssMB: mb(peak.rss),
    peakHeapUsedMB: mb(peak.heapUsed),
    peakHeapTotalMB: mb(peak.heapTotal),
    peakExternalMB: mb(peak.external),
    peakArrayBuffersMB: mb(peak.arrayBuffers),
    chunks,
    avgChunk: Math.round(bytes / chunks),
    pauses: paused,
    gcs,
    wallS: Number(process.hrtime.bigint() - started) / 1e9,
    cpuS: (cpu.user + cpu.system) / 1e6,
    userS: cpu.user / 1e6,
    sysS: cpu.system / 1e6,
  }),
);
