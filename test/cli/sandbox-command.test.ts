import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchChild } from '../support/child.js';
import { assertBuilt, BIN, REPO } from './support.js';

describe('sregistry-globus sandbox', () => {
  it('--json prints one ready line, serves Auth, and stops cleanly on SIGTERM', async () => {
    assertBuilt();
    const home = await mkdtemp(join(tmpdir(), 'sregistry-sandbox-cmd-'));
    try {
      const { child, exited, waitFor } = watchChild(process.execPath, [BIN, 'sandbox', '--json'], {
        cwd: REPO,
        env: { PATH: process.env.PATH, HOME: home },
      });
      const line = (await waitFor('\n')).split('\n')[0]!;
      const ready = JSON.parse(line) as {
        url: string;
        client_id: string;
        data: string;
        endpoints: Array<{ display_name: string }>;
      };
      expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(ready.endpoints.map((e) => e.display_name)).toEqual(['sandbox-personal', 'sandbox-collection']);
      const discovery = await fetch(`${ready.url}/.well-known/openid-configuration`);
      expect(discovery.status).toBe(200);

      child.kill('SIGTERM');
      const { code, stdout, stderr } = await exited;
      expect(code).toBe(0);
      expect(stdout.trim().split('\n')).toHaveLength(1);
      expect(stderr).toBe('');
      // The temporary data folder goes away with it.
      expect(existsSync(ready.data)).toBe(false);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('passes a bad option on as a usage error (exit 2)', async () => {
    assertBuilt();
    const { code, stderr } = await watchChild(process.execPath, [BIN, 'sandbox', '--port', 'not-a-port'], {
      cwd: REPO,
      env: { PATH: process.env.PATH },
    }).exited;
    expect(code).toBe(2);
    expect(stderr).toMatch(/--port/);
  });
});
