/** Which transport an operation uses for a remote endpoint and the local one. */
import { describe, expect, it } from '@jest/globals';
import { chooseTransport } from '../../../src/core/registry/transports/transport.js';
import { thrownCode as code } from '../../support/errors.js';

describe('transport choice', () => {
  const base = { endpointId: 'e', endpointName: 'lab' };
  it('picks https only when the remote serves it and no local endpoint is set', () => {
    expect(chooseTransport({ ...base, choice: 'auto', httpsServer: 'https://x' })).toBe('https');
    expect(chooseTransport({ ...base, choice: 'auto', httpsServer: 'https://x', localEndpoint: 'l' })).toBe('transfer');
    expect(chooseTransport({ ...base, choice: 'auto', httpsServer: null, localEndpoint: 'l' })).toBe('transfer');
    expect(code(() => chooseTransport({ ...base, choice: 'auto', httpsServer: null }))).toBe('INVALID_INPUT');
    expect(code(() => chooseTransport({ ...base, choice: 'https', httpsServer: null }))).toBe('INVALID_INPUT');
    expect(code(() => chooseTransport({ ...base, choice: 'transfer', httpsServer: 'https://x' }))).toBe('INVALID_INPUT');
  });
});
