/**
 * The bundled Action, run as the runner runs it, on a self-hosted runner whose network
 * allows only a proxy: HTTPS_PROXY/HTTP_PROXY with Basic credentials in front of the
 * sandbox. Push and pull (both transports) go through it; a dead proxy fails the step with
 * one error naming the proxy and code PROXY; its password appears nowhere.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { writeSif } from '../../src/core/sif.js';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';
import { deadPort, startForwardProxy, type ForwardProxy } from '../support/forward-proxy.js';
import { newJob, runAction, sandboxInputs, visibleText, type ActionRun } from './runner.js';

const USER = 'runner';
const PASSWORD = 'Act10n-Proxy-Passw0rd';

let sb: TestSandbox;
let proxy: ForwardProxy;
let proxyEnv: Record<string, string>;

beforeAll(async () => {
  sb = await startTestSandbox();
  proxy = await startForwardProxy({ user: USER, password: PASSWORD });
  const url = `http://${USER}:${PASSWORD}@127.0.0.1:${proxy.port}`;
  proxyEnv = { HTTPS_PROXY: url, HTTP_PROXY: url };
});
afterAll(async () => {
  await proxy.close();
  await sb.stop();
});

const lines = (from: number): string[] => proxy.log.slice(from).map((e) => `${e.method} ${e.target}`);
const clean = (run: ActionRun): void => {
  expect(run.errors).toEqual([]);
  expect(run.code).toBe(0);
  expect(visibleText(run)).not.toContain(PASSWORD);
};

describe('action behind a proxy', () => {
  it('push and pull over https and transfer go through the proxy: Auth, Transfer and collection calls', async () => {
    const job = await newJob(sb.tmp);
    await writeSif(join(job.workspace, 'app.sif'), { payloadBytes: Buffer.alloc(150_000, 5) });
    const collection = new URL(sb.collection.httpsServer!).origin;
    const sandbox = new URL(sb.url).origin;

    let from = proxy.log.length;
    const pushed = await runAction({
      job,
      inputs: sandboxInputs(sb, { images: 'app.sif', name: 'lab/app', tags: 'v1', transport: 'https' }),
      env: proxyEnv,
    });
    clean(pushed);
    expect(lines(from).some((l) => l === `POST ${sandbox}/v2/oauth2/token`)).toBe(true);
    expect(lines(from).some((l) => l.startsWith(`GET ${sandbox}/v0.10/`))).toBe(true);
    expect(lines(from).some((l) => l.startsWith(`PUT ${collection}/`))).toBe(true);

    from = proxy.log.length;
    const pulled = await runAction({
      job,
      inputs: sandboxInputs(sb, { command: 'pull', name: 'lab/app', tags: 'v1', transport: 'https', cache: 'false' }),
      env: proxyEnv,
    });
    clean(pulled);
    expect(lines(from).some((l) => l.startsWith(`GET ${collection}/`) && l.endsWith('.sif'))).toBe(true);

    from = proxy.log.length;
    const viaTransfer = await runAction({
      job,
      inputs: sandboxInputs(sb, {
        command: 'pull',
        name: 'lab/app',
        tags: 'v1',
        transport: 'transfer',
        'source-endpoint': sb.personal.id,
        'pull-to': join(sb.tmp, 'pulled'),
        cache: 'false',
      }),
      env: proxyEnv,
    });
    clean(viaTransfer);
    expect(lines(from).some((l) => l === `POST ${sandbox}/v0.10/transfer`)).toBe(true);
    expect(proxy.log.every((e) => e.authorized)).toBe(true);
  });

  it('a dead proxy fails the step with one error naming it and code PROXY', async () => {
    const job = await newJob(sb.tmp);
    await writeSif(join(job.workspace, 'app.sif'), { payloadBytes: Buffer.alloc(10_000, 1) });
    const port = await deadPort();
    const dead = `http://${USER}:${PASSWORD}@127.0.0.1:${port}`;
    const run = await runAction({
      job,
      inputs: sandboxInputs(sb, { images: 'app.sif', name: 'lab/dead' }),
      env: { HTTPS_PROXY: dead, HTTP_PROXY: dead },
    });
    expect(run.code).not.toBe(0);
    expect(run.errors.length).toBeGreaterThan(0);
    expect(run.errors.join('\n')).toContain(`127.0.0.1:${port}`);
    expect(run.errors.join('\n')).toContain('PROXY');
    expect(visibleText(run)).not.toContain(PASSWORD);
  });
});
