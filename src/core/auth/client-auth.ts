/**
 * Client authentication as the official Globus SDKs send it: HTTP Basic with the raw
 * `base64("<client id>:<secret>")` (globus-sdk-python `authorizers/basic.py`). openid-client's
 * `ClientSecretBasic` form-encodes id and secret first (RFC 6749 2.3.1), so a real secret
 * with `+`, `/` or `=` would reach Globus escaped; whether Globus decodes it is unverified.
 */
import type * as oidc from 'openid-client';

export function rawClientSecretBasic(clientSecret: string): oidc.ClientAuth {
  return (_as, client, _body, headers) => {
    const credentials = Buffer.from(`${client.client_id}:${clientSecret}`, 'utf8').toString('base64');
    headers.set('authorization', `Basic ${credentials}`);
  };
}
