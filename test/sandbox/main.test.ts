import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { existsSync } from 'node:fs';
import { watchChild, type WatchedChild } from '../support/child.js';
import { main, type ReadyLine } from '../../src/sandbox/main.js';
import { TRANSFER_SCOPE } from '../../src/sandbox/model.js';
import { countHostile } from '../reliability/ledger.js';

// Runs the built start command (lib/ is built by `npm test` before the tests run).
const BIN = fileURLToPath(new URL('../../bin/sandbox.js', import.meta.url));

const run = (args: string[]): WatchedChild => watchChild(process.execPath, [BIN, ...args]);

async function startJson(args: string[]): Promise<WatchedChild & { ready: ReadyLine; all: string }> {
  const started = run(['--json', ...args]);
  const all = await started.waitFor('\n');
  return { ...started, all, ready: JSON.parse(all.split('\n')[0]!) as ReadyLine };
}

/** Runs main() in this process until `stop` aborts; resolves once its JSON line is out. */
async function startInProcess(
  args: string[],
): Promise<{ ready: ReadyLine; stop: AbortController; exit: Promise<number> }> {
  const stdout = new PassThrough();
  const stop = new AbortController();
  const exit = main(args, { stdout, stderr: new PassThrough(), signal: stop.signal });
  const line = await new Promise<string>((resolve) => {
    let text = '';
    stdout.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      if (text.includes('\n')) resolve(text);
    });
  });
  return { ready: JSON.parse(line) as ReadyLine, stop, exit };
}

describe('sandbox start command', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'sregistry-main-'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('prints one JSON line, serves tokens, stops cleanly on SIGTERM and keeps its ids across restarts', async () => {
    const data = join(tmp, 'data');
    const first = await startJson(['--data', data]);
    const r = first.ready;
    expect(first.all.trim().split('\n')).toHaveLength(1);
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(r.auth_url).toBe(`${r.url}/`);
    expect(r.transfer_url).toBe(`${r.url}/`);
    expect(r.data).toBe(data);
    expect(r.endpoints.map((e) => e.entity_type).sort()).toEqual(['GCP_mapped_collection', 'GCSv5_guest_collection']);
    const guest = r.endpoints.find((e) => e.entity_type === 'GCSv5_guest_collection')!;
    expect(guest.https_server).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(guest.folder).toBe(join(data, 'collections', guest.id));
    expect(guest.config_paths).toBeNull();
    const personal = r.endpoints.find((e) => e.entity_type === 'GCP_mapped_collection')!;
    expect(personal.https_server).toBeNull();
    // It shares nothing by default: only its own folder, never the home or temp folder.
    expect(personal.config_paths?.map((c) => c.path)).toEqual([join(data, 'personal')]);
    expect(personal.folder).toBe(join(data, 'personal'));
    expect((await stat(data)).mode & 0o777).toBe(0o700);
    expect((await stat(join(data, 'personal'))).mode & 0o777).toBe(0o700);

    const res = await fetch(new URL('/v2/oauth2/token', r.auth_url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: TRANSFER_SCOPE,
        client_id: r.client_id,
        client_secret: r.client_secret,
      }).toString(),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Record<string, unknown>).resource_server).toBe('transfer.api.globus.org');

    const saved = await stat(join(data, 'sandbox.json'));
    expect(saved.mode & 0o777).toBe(0o600);

    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);

    const second = await startJson(['--data', data]);
    try {
      expect(second.ready.client_id).toBe(r.client_id);
      expect(second.ready.client_secret).toBe(r.client_secret);
      expect(second.ready.admin_token).toBe(r.admin_token);
      expect(second.ready.endpoints.map((e) => e.id)).toEqual(r.endpoints.map((e) => e.id));
    } finally {
      second.child.kill('SIGINT');
      expect((await second.exited).code).toBe(0);
    }
  });

  it('shares nothing by default: the personal endpoint reaches <data>/personal and the --share folders, not HOME or the temp folder', async () => {
    const home = join(tmp, 'me');
    await mkdir(join(home, '.ssh'), { recursive: true });
    await writeFile(join(home, '.bashrc'), 'export SECRET=1\n');
    const shared = join(tmp, 'shared-on-purpose');
    await mkdir(shared, { recursive: true });
    const data = join(tmp, 'nothing-shared');
    const started = watchChild(process.execPath, [BIN, '--json', '--data', data, '--share', shared], {
      env: { PATH: process.env.PATH, HOME: home, TMPDIR: tmp },
    });
    const ready = JSON.parse((await started.waitFor('\n')).split('\n')[0]!) as ReadyLine;
    try {
      const personal = ready.endpoints.find((e) => e.entity_type === 'GCP_mapped_collection')!;
      expect(personal.config_paths?.map((c) => c.path)).toEqual([join(data, 'personal'), shared]);
      const token = await fetch(new URL('/v2/oauth2/token', ready.auth_url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: TRANSFER_SCOPE,
          client_id: ready.client_id,
          client_secret: ready.client_secret,
        }).toString(),
      }).then(async (r) => ((await r.json()) as { access_token: string }).access_token);
      const ls = async (path: string) => {
        const res = await fetch(
          `${ready.url}/v0.10/operation/endpoint/${personal.id}/ls?path=${encodeURIComponent(path)}`,
          { headers: { authorization: `Bearer ${token}` } },
        );
        const body = (await res.json()) as { code?: string; DATA?: { name: string }[] };
        return { status: res.status, code: body.code, names: body.DATA?.map((d) => d.name) };
      };
      expect(await ls('/~/')).toEqual({ status: 200, code: undefined, names: [] });
      expect(await ls(home)).toMatchObject({ status: 403, code: 'EndpointPermissionDenied' });
      expect(await ls(join(home, '.ssh'))).toMatchObject({ status: 403 });
      expect(await ls(tmp)).toMatchObject({ status: 403 });
      expect(await ls(data)).toMatchObject({ status: 403 });
      expect(await ls(shared)).toMatchObject({ status: 200 });
      countHostile('a default sandbox asked for the home and temp folders', 'sandbox');
    } finally {
      started.child.kill('SIGTERM');
      expect((await started.exited).code).toBe(0);
    }
  });

  it('refuses a --share folder that does not exist, in one line', async () => {
    const failed = run(['--share', join(tmp, 'not-there'), '--data', join(tmp, 'never')]);
    const { code, stderr } = await failed.exited;
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('--share');
  });

  it('prints a human summary with the environment lines', async () => {
    const started = run(['--data', join(tmp, 'human')]);
    const out = await started.waitFor('Ctrl-C');
    started.child.kill('SIGTERM');
    expect((await started.exited).code).toBe(0);
    const url = /listening on (\S+)/.exec(out)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out).toContain(`GLOBUS_SDK_SERVICE_URL_AUTH=${url}/`);
    expect(out).toContain(`GLOBUS_SDK_SERVICE_URL_TRANSFER=${url}/`);
    expect(out).toMatch(/GLOBUS_CLIENT_ID=[0-9a-f-]{36}/);
    expect(out).toMatch(/GLOBUS_CLIENT_SECRET=\S+/);
  });

  it('uses a config file and rejects a bad one with a one-line error', async () => {
    const good = join(tmp, 'good.json');
    await writeFile(
      good,
      JSON.stringify({
        clients: [{ name: 'ci' }],
        endpoints: [{ display_name: 'store', entity_type: 'GCSv5_guest_collection', root: 'store' }],
      }),
    );
    const started = await startJson(['--config', good, '--data', join(tmp, 'configured')]);
    started.child.kill('SIGTERM');
    expect((await started.exited).code).toBe(0);
    expect(started.ready.endpoints).toEqual([
      expect.objectContaining({ display_name: 'store', folder: join(tmp, 'store') }),
    ]);

    const bad = join(tmp, 'bad.json');
    await writeFile(bad, JSON.stringify({ endpoints: [{ display_name: 'x', entity_type: 'GCSv6' }] }));
    const failed = run(['--config', bad, '--data', join(tmp, 'bad')]);
    const { code, stderr } = await failed.exited;
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('endpoints[0].entity_type');
  });

  it('rejects unknown options with exit code 2 and answers --help', async () => {
    const bad = run(['--nope']);
    const result = await bad.exited;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--help');

    const help = run(['--help']);
    const out = await help.waitFor('--config FILE');
    expect((await help.exited).code).toBe(0);
    expect(out).toContain('--data DIR');
  });

  it('runs in process until its signal aborts, removing a temporary data folder', async () => {
    const { ready, stop, exit } = await startInProcess(['--json']);
    expect(existsSync(join(ready.data, 'sandbox.json'))).toBe(true);
    stop.abort();
    expect(await exit).toBe(0);
    expect(existsSync(ready.data)).toBe(false);
  });

  it('takes the bounds of its request log and task history, and refuses one that is not a positive number', async () => {
    for (const bad of [
      ['--task-history', '0'],
      ['--request-log', 'lots'],
    ]) {
      const stderr = new PassThrough();
      let said = '';
      stderr.setEncoding('utf8').on('data', (d: string) => (said += d));
      expect(await main(bad, { stdout: new PassThrough(), stderr })).toBe(2);
      expect(said).toContain(bad[0]);
      expect(said.trim().split('\n')).toHaveLength(1);
    }
    const { ready, stop, exit } = await startInProcess(['--json', '--request-log', '2', '--task-history', '5']);
    try {
      for (let i = 0; i < 3; i++) await (await fetch(`${ready.url}/v0.10/nothing-${i}`)).arrayBuffer();
      const res = await fetch(`${ready.url}/_sandbox/requests`, {
        headers: { authorization: `Bearer ${ready.admin_token}` },
      });
      const body = (await res.json()) as { requests: { path: string }[]; next: number };
      // Two entries kept: the last request and this admin call (which the answer leaves out).
      expect(body.requests.map((r) => r.path)).toEqual(['/v0.10/nothing-2']);
      expect(body.next).toBe(4);
    } finally {
      stop.abort();
      expect(await exit).toBe(0);
    }
  });
});
