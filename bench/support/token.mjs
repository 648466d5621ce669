// Access tokens from the sandbox's Auth, fetched as any client would.
import { URLSearchParams } from 'node:url';

/**
 * A client_credentials token for `scope`: the main token or, when Auth puts the scope's
 * token under `other_tokens`, that one.
 */
export async function clientCredentialsToken({ origin, clientId, clientSecret }, scope) {
  const res = await fetch(new URL('/v2/oauth2/token', origin), {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  if (!res.ok) throw new Error(`Token request failed: ${res.status} ${await res.text()}`);
  const body = await res.json();
  const found = [body, ...(body.other_tokens ?? [])].find((t) => String(t.scope).split(' ').includes(scope));
  return (found ?? body).access_token;
}
