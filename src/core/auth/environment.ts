import { SregistryError } from '../errors.js';
import { assertSecureUrl } from '../http/secure-url.js';

/**
 * Named Globus environments, as the official SDKs spell them. Production lives under
 * globus.org, preview under preview.globus.org, the others under `<env>.globuscs.info`.
 * Auth sits at `https://auth.<domain>/`, Transfer at `https://transfer.api.<domain>/`.
 * Only production is what users normally reach; the others exist for Globus's own staff
 * and are resolved by this pattern without further checks.
 */
const DOMAINS: Record<string, string> = {
  production: 'globus.org',
  preview: 'preview.globus.org',
  sandbox: 'sandbox.globuscs.info',
  test: 'test.globuscs.info',
  staging: 'staging.globuscs.info',
  integration: 'integration.globuscs.info',
};

export const GLOBUS_ENVIRONMENTS = Object.keys(DOMAINS);

export interface ServiceUrlOptions {
  /** A named environment; overrides GLOBUS_SDK_ENVIRONMENT. */
  environment?: string;
  /** Auth base URL; overrides GLOBUS_SDK_SERVICE_URL_AUTH and the environment. */
  authUrl?: string;
  /** Transfer base URL (without `/v0.10/`); overrides GLOBUS_SDK_SERVICE_URL_TRANSFER and the environment. */
  transferUrl?: string;
  /** Where to read the variables; `process.env` by default. */
  env?: Record<string, string | undefined>;
}

export interface ServiceUrls {
  environment: string;
  /** Auth base URL, ending in `/`. */
  auth: string;
  /** Transfer base URL, ending in `/`; the API is under `v0.10/`. */
  transfer: string;
}

const nonEmpty = (v: string | undefined): string | undefined =>
  v !== undefined && v.trim() !== '' ? v.trim() : undefined;

function baseUrl(raw: string, setting: string): string {
  let url: URL;
  try {
    url = assertSecureUrl(raw);
  } catch (err) {
    if (err instanceof SregistryError && err.code === 'INSECURE_URL')
      throw new SregistryError('INSECURE_URL', `${setting}: ${err.message}`);
    throw new SregistryError('INVALID_INPUT', `${setting} is not a valid URL; give an absolute https:// URL`);
  }
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/** Service URLs the way the official SDKs resolve them: explicit option, then variable, then environment. */
export function resolveServiceUrls(options: ServiceUrlOptions = {}): ServiceUrls {
  const env = options.env ?? process.env;
  const environment = (
    nonEmpty(options.environment) ??
    nonEmpty(env.GLOBUS_SDK_ENVIRONMENT) ??
    'production'
  ).toLowerCase();
  const name = environment === 'default' ? 'production' : environment;
  const domain = DOMAINS[name];
  const authOverride = nonEmpty(options.authUrl) ?? nonEmpty(env.GLOBUS_SDK_SERVICE_URL_AUTH);
  const transferOverride = nonEmpty(options.transferUrl) ?? nonEmpty(env.GLOBUS_SDK_SERVICE_URL_TRANSFER);
  if (!domain && (!authOverride || !transferOverride)) {
    throw new SregistryError(
      'INVALID_INPUT',
      `Unknown Globus environment "${environment}"; use one of ${GLOBUS_ENVIRONMENTS.join(', ')} or set GLOBUS_SDK_SERVICE_URL_AUTH and GLOBUS_SDK_SERVICE_URL_TRANSFER`,
    );
  }
  return {
    environment: name,
    auth: authOverride ? baseUrl(authOverride, 'GLOBUS_SDK_SERVICE_URL_AUTH') : `https://auth.${domain}/`,
    transfer: transferOverride
      ? baseUrl(transferOverride, 'GLOBUS_SDK_SERVICE_URL_TRANSFER')
      : `https://transfer.api.${domain}/`,
  };
}
