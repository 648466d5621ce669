/** Which transport an operation uses for a remote endpoint and the local one. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chooseTransport } from '../../../src/core/registry/transports/transport.js';
import type { TransportChoice } from '../../../src/core/registry/types.js';
import { thrownCode as code } from '../../support/errors.js';
import { closeCoreAndSandbox } from '../../support/lifecycle.js';
import { startTestSandbox, type TestSandbox } from '../../support/sandbox.js';
import { makeRegistry, randomFile } from './support.js';

describe('transport choice', () => {
  const base = { endpointId: 'e', endpointName: 'lab' };
  it('picks https only when the remote serves it and no local endpoint is set', () => {
    expect(chooseTransport({ ...base, choice: 'auto', httpsServer: 'https://x' })).toBe('https');
    expect(chooseTransport({ ...base, choice: 'auto', httpsServer: 'https://x', localEndpoint: 'l' })).toBe('transfer');
    expect(chooseTransport({ ...base, choice: 'auto', httpsServer: null, localEndpoint: 'l' })).toBe('transfer');
    expect(code(() => chooseTransport({ ...base, choice: 'auto', httpsServer: null }))).toBe('INVALID_INPUT');
    expect(code(() => chooseTransport({ ...base, choice: 'https', httpsServer: null }))).toBe('INVALID_INPUT');
    expect(code(() => chooseTransport({ ...base, choice: 'transfer', httpsServer: 'https://x' }))).toBe(
      'INVALID_INPUT',
    );
  });
});

describe("a call's transport", () => {
  let sb: TestSandbox;
  beforeAll(async () => {
    sb = await startTestSandbox();
  });
  afterAll(() => closeCoreAndSandbox(sb));

  it("overrides the Registry's, so one Registry serves both transports", async () => {
    // The Registry's own choice is https; a local endpoint is set, so transfer can be asked for.
    const h = makeRegistry(sb, 'https', { localEndpoint: sb.personal.id }, 'per-call');
    try {
      const uri = `globus://${sb.collection.id}/per-call/app:v1`;
      const [pushed] = await h.registry.push(await randomFile(sb, 'per-call.bin'), uri, { transport: 'transfer' });
      expect(pushed).toMatchObject({ status: 'pushed', transport: 'transfer', taskId: expect.any(String) });
      const pulled = await h.registry.pull(uri);
      expect(pulled).toMatchObject({ status: 'pulled', transport: 'https' });
      expect(pulled.taskId).toBeUndefined();
      const recorded = await h.registry.record(uri, { transport: 'transfer' });
      expect(recorded).toMatchObject({ transport: 'transfer', taskId: expect.any(String) });
      expect((await h.registry.resolve(uri)).transport).toBe('https');
      const report = await h.registry.doctor(`globus://${sb.collection.id}`, { transport: 'transfer' });
      expect(report.checks.find((c) => c.check === 'transport')?.detail).toBe('transfer (--transport transfer)');
    } finally {
      await h.registry.close();
    }
  });

  it('is read in any case and refused when unknown, as the Registry option is', async () => {
    const h = makeRegistry(sb, 'https', { localEndpoint: sb.personal.id }, 'per-call-case');
    try {
      const uri = `globus://${sb.collection.id}/per-call/case:v1`;
      await h.registry.push(await randomFile(sb, 'per-call-case.bin'), uri);
      // The JavaScript API (and a Node-RED message) may hand over any text.
      expect((await h.registry.resolve(uri, { transport: ' TRANSFER ' as TransportChoice })).transport).toBe(
        'transfer',
      );
      const err = await h.registry.resolve(uri, { transport: 'ftp' as TransportChoice }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('"ftp" is not one of') });
    } finally {
      await h.registry.close();
    }
  });

  it('is refused when it cannot reach the collection, as the Registry-wide choice is', async () => {
    const h = makeRegistry(sb, 'https', {}, 'per-call-refused');
    try {
      const err = await h.registry
        .resolve(`globus://${sb.collection.id}/per-call/app:v1`, { transport: 'transfer' })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('SREGISTRY_GLOBUS_LOCAL_ENDPOINT'),
      });
    } finally {
      await h.registry.close();
    }
  });
});
