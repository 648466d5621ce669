import { describe, expect, it } from '@jest/globals';
import {
  normalizeScopes,
  resolveServiceUrls,
  splitScopes,
  transferScopeWithDataAccess,
  collectionHttpsScope,
  dataAccessScope,
  TRANSFER_SCOPE,
} from '../../../src/core/auth/index.js';

describe('service URLs', () => {
  it('defaults to production', () => {
    expect(resolveServiceUrls({ env: {} })).toEqual({
      environment: 'production',
      auth: 'https://auth.globus.org/',
      transfer: 'https://transfer.api.globus.org/',
    });
  });

  it('follows GLOBUS_SDK_ENVIRONMENT for named environments', () => {
    expect(resolveServiceUrls({ env: { GLOBUS_SDK_ENVIRONMENT: 'preview' } })).toMatchObject({
      auth: 'https://auth.preview.globus.org/',
      transfer: 'https://transfer.api.preview.globus.org/',
    });
    expect(resolveServiceUrls({ env: { GLOBUS_SDK_ENVIRONMENT: 'sandbox' } })).toMatchObject({
      auth: 'https://auth.sandbox.globuscs.info/',
      transfer: 'https://transfer.api.sandbox.globuscs.info/',
    });
    expect(() => resolveServiceUrls({ env: { GLOBUS_SDK_ENVIRONMENT: 'nowhere' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }) as unknown as Error,
    );
  });

  it('lets explicit URLs win: options over variables over the environment', () => {
    const env = {
      GLOBUS_SDK_ENVIRONMENT: 'preview',
      GLOBUS_SDK_SERVICE_URL_AUTH: 'http://127.0.0.1:5000',
      GLOBUS_SDK_SERVICE_URL_TRANSFER: 'http://localhost:5000/',
    };
    expect(resolveServiceUrls({ env })).toEqual({
      environment: 'preview',
      auth: 'http://127.0.0.1:5000/',
      transfer: 'http://localhost:5000/',
    });
    expect(resolveServiceUrls({ env, transferUrl: 'https://t.example.org/api' }).transfer).toBe(
      'https://t.example.org/api/',
    );
    expect(
      resolveServiceUrls({
        env: {
          GLOBUS_SDK_ENVIRONMENT: 'custom',
          GLOBUS_SDK_SERVICE_URL_AUTH: 'https://a.example/',
          GLOBUS_SDK_SERVICE_URL_TRANSFER: 'https://t.example/',
        },
      }).environment,
    ).toBe('custom');
  });

  it('refuses plain http off loopback', () => {
    expect(() =>
      resolveServiceUrls({ env: { GLOBUS_SDK_SERVICE_URL_TRANSFER: 'http://transfer.example.org/' } }),
    ).toThrow(
      expect.objectContaining({
        code: 'INSECURE_URL',
        message: expect.stringContaining('GLOBUS_SDK_SERVICE_URL_TRANSFER'),
      }) as unknown as Error,
    );
  });
});

describe('scopes', () => {
  const id = '0b1c2d3e-4f50-4617-8899-aabbccddeeff';

  it('builds collection and dependent scopes', () => {
    expect(collectionHttpsScope(id)).toBe(`https://auth.globus.org/scopes/${id}/https`);
    expect(dataAccessScope(id.toUpperCase())).toBe(`https://auth.globus.org/scopes/${id}/data_access`);
    expect(transferScopeWithDataAccess([])).toBe(TRANSFER_SCOPE);
    expect(transferScopeWithDataAccess([id, id])).toBe(
      `${TRANSFER_SCOPE}[*https://auth.globus.org/scopes/${id}/data_access]`,
    );
    expect(() => dataAccessScope('x] evil')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }) as unknown as Error,
    );
  });

  it('splits only outside brackets and normalises order and duplicates', () => {
    expect(splitScopes('b  a[*x y]\nc')).toEqual(['b', 'a[*x y]', 'c']);
    expect(normalizeScopes(['c b', 'a', 'b'])).toEqual(['a', 'b', 'c']);
  });
});
