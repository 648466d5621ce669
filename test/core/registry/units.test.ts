import { describe, expect, it } from '@jest/globals';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { toEndpointPath } from '../../../src/core/registry/endpoint-paths.js';
import { parseLocalPathMap, registryOptionsFromEnv, resolveOptions } from '../../../src/core/registry/options.js';
import { pruner } from '../../../src/core/registry/search.js';
import { chooseTransport } from '../../../src/core/registry/transport.js';
import { mapLimited } from '../../../src/core/registry/map-limited.js';
import { thrownCode as code } from '../../support/errors.js';

describe('registry options', () => {
  it('reads every variable that is set and nothing else', () => {
    const opts = registryOptionsFromEnv({
      GLOBUS_CLIENT_ID: 'id',
      GLOBUS_CLIENT_SECRET: 'secret',
      GLOBUS_SDK_SERVICE_URL_AUTH: 'http://127.0.0.1:1/',
      GLOBUS_SDK_SERVICE_URL_TRANSFER: 'http://127.0.0.1:2/',
      GLOBUS_SDK_ENVIRONMENT: 'preview',
      SREGISTRY_GLOBUS_ROOT: '/lab/shub/',
      SREGISTRY_GLOBUS_TRANSPORT: 'Transfer',
      SREGISTRY_GLOBUS_LOCAL_ENDPOINT: 'ep',
      SREGISTRY_GLOBUS_LOCAL_PATH_MAP: '/data=/~/data, /scratch=/s',
      SREGISTRY_STORAGE: '/tmp/s',
      SREGISTRY_DATABASE: '/tmp/no-such-sregistry-folder',
    });
    expect(opts).toEqual({
      globus: { clientId: 'id', clientSecret: 'secret', authUrl: 'http://127.0.0.1:1/', transferUrl: 'http://127.0.0.1:2/', environment: 'preview' },
      root: '/lab/shub/',
      transport: 'transfer',
      localEndpoint: 'ep',
      localPathMap: [
        { local: '/data', endpoint: '/~/data' },
        { local: '/scratch', endpoint: '/s' },
      ],
      storage: '/tmp/s',
      // sregistry-cli's meaning: the folder that holds sregistry.db.
      database: '/tmp/no-such-sregistry-folder/sregistry.db',
    });
    expect(registryOptionsFromEnv({ SREGISTRY_STORAGE: '  ' })).toEqual({ globus: {} });
  });

  it('refuses a bad transport or path map with the accepted form', () => {
    expect(code(() => registryOptionsFromEnv({ SREGISTRY_GLOBUS_TRANSPORT: 'ftp' }))).toBe('INVALID_INPUT');
    expect(code(() => parseLocalPathMap('data=/x'))).toBe('INVALID_INPUT');
  });

  it('fills in the defaults', () => {
    const r = resolveOptions({ globus: { clientId: 'a', clientSecret: 'b' } });
    expect(r.storage).toBe(join(homedir(), '.singularity', 'shub'));
    expect(r.database).toBe(join(homedir(), '.singularity', 'sregistry.db'));
    expect(r.transport).toBe('auto');
    expect(r.concurrency).toBe(8);
    expect(code(() => resolveOptions({ globus: { clientId: 'a', clientSecret: 'b' }, pollMs: -1 }))).toBe('INVALID_INPUT');
  });
});

describe('local endpoint paths', () => {
  it('is the identity without a map, and follows the longest matching prefix', () => {
    expect(toEndpointPath('/home/me/x.sif')).toBe('/home/me/x.sif');
    const map = [
      { local: '/data', endpoint: '/~/d' },
      { local: '/data/deep/', endpoint: '/deep' },
    ];
    expect(toEndpointPath('/data/a/b.sif', map)).toBe('/~/d/a/b.sif');
    expect(toEndpointPath('/data/deep/c.sif', map)).toBe('/deep/c.sif');
    expect(toEndpointPath('/database/c.sif', map)).toBe('/database/c.sif');
  });
});

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

describe('search pruning', () => {
  it('keeps every folder that could hold a match and drops the others', () => {
    const all = pruner(undefined);
    expect(all.collection('x') && all.name('x', 'y')).toBe(true);
    const plain = pruner('ubu');
    expect(plain.collection('zzz') && plain.name('zzz', 'zzz')).toBe(true);
    const slash = pruner('lib/ubu');
    expect(slash.collection('lib')).toBe(true);
    expect(slash.collection('mylib')).toBe(true);
    expect(slash.collection('library')).toBe(false);
    expect(slash.name('lib', 'ubuntu')).toBe(true);
    expect(slash.name('lib', 'alpine')).toBe(false);
    const withTag = pruner('lib/ubuntu:22');
    expect(withTag.name('lib', 'ubuntu')).toBe(true);
    expect(withTag.name('lib', 'ubuntu2')).toBe(false);
    const colon = pruner('tu:22');
    expect(colon.name('any', 'ubuntu')).toBe(true);
    expect(colon.name('any', 'alpine')).toBe(false);
  });
});

describe('mapLimited', () => {
  it('never runs more than the limit at once and keeps the order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      running--;
      return n * 2;
    });
    expect(out).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(peak).toBe(3);
  });
});
