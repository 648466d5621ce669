import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestSandbox, type TestSandbox } from '../support/sandbox.js';

describe('sandbox server', () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox();
  });
  afterAll(() => sb.stop());

  it('listens on loopback and answers unknown paths with a Transfer-shaped 404', async () => {
    expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${sb.url}/v0.10/no-such-thing`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.code).toBe('ClientError.NotFound');
    expect(typeof body.request_id).toBe('string');
    expect(body.resource).toBe('/no-such-thing');
  });

  it('gives each HTTPS collection its own origin', () => {
    expect(sb.collection.httpsServer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sb.collection.httpsServer).not.toBe(sb.url);
    expect(sb.personal.httpsServer).toBeUndefined();
  });

  it('logs requests with their status', async () => {
    await fetch(`${sb.url}/v0.10/missing`);
    const entry = sb.context.faults.log.find((e) => e.path === '/v0.10/missing');
    expect(entry?.status).toBe(404);
  });
});
