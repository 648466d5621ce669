/** Registry options: read from the environment, checked, defaults filled in; local paths as the endpoint sees them. */
import { describe, expect, it } from '@jest/globals';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { toEndpointPath } from '../../../src/core/registry/transports/endpoint-paths.js';
import {
  parseLocalPathMap,
  registryOptionsFromEnv,
  registryOptionsWith,
  resolveOptions,
} from '../../../src/core/registry/options.js';
import { thrownCode as code } from '../../support/errors.js';

describe('registry options', () => {
  it("reads the stall floor as curl's --speed-limit/--speed-time, or off, and refuses anything else", () => {
    expect(registryOptionsFromEnv({ SREGISTRY_GLOBUS_SPEED_LIMIT: ' 4096 / 30 ' }).speedFloor).toEqual({
      bytesPerSecond: 4096,
      windowMs: 30_000,
    });
    // `off` survives the merge of layers (false is a value, not an unset field).
    expect(registryOptionsWith({ SREGISTRY_GLOBUS_SPEED_LIMIT: 'OFF' }).speedFloor).toBe(false);
    expect(registryOptionsWith({}).speedFloor).toBeUndefined();
    for (const bad of ['1024', '0/20', '1024/0', 'fast', '-1/20', '1k/20']) {
      expect(code(() => registryOptionsFromEnv({ SREGISTRY_GLOBUS_SPEED_LIMIT: bad }))).toBe('INVALID_INPUT');
    }
  });

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
      globus: {
        clientId: 'id',
        clientSecret: 'secret',
        authUrl: 'http://127.0.0.1:1/',
        transferUrl: 'http://127.0.0.1:2/',
        environment: 'preview',
      },
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
    expect(code(() => resolveOptions({ globus: { clientId: 'a', clientSecret: 'b' }, pollMs: -1 }))).toBe(
      'INVALID_INPUT',
    );
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
