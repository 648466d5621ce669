import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SandboxError } from '../errors.js';
import type { Switches } from '../behaviour.js';
import type { SandboxClient } from '../model.js';

export const invalidClient = (detail: string): SandboxError => new SandboxError(401, 'invalid_client', detail);

/**
 * The credentials a request presents: HTTP Basic first, else the form's client_id +
 * client_secret. Basic is read as the official SDKs send it, raw `base64(id:secret)`;
 * with `raw-or-form` the form-encoded reading of RFC 6749 2.3.1 is tried too.
 */
export function presentedCredentials(
  req: IncomingMessage,
  form: URLSearchParams,
  basic: Switches['basic_credentials'] = 'raw',
): { id: string; secret: string }[] {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Basic\s+(\S+)\s*$/i.exec(header);
    if (!match) return [];
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return [];
    const raw = { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
    const readings = [raw];
    if (basic === 'raw') return readings;
    const unescaped = { id: formDecode(raw.id), secret: formDecode(raw.secret) };
    if (unescaped.id !== raw.id || unescaped.secret !== raw.secret) readings.push(unescaped);
    return readings;
  }
  const id = form.get('client_id');
  const secret = form.get('client_secret');
  return id !== null && secret !== null ? [{ id, secret }] : [];
}

/** The client a request authenticates as; 401 `invalid_client` otherwise. */
export function authenticateClient(
  req: IncomingMessage,
  form: URLSearchParams,
  clients: readonly SandboxClient[],
  basic: Switches['basic_credentials'] = 'raw',
): SandboxClient {
  const presented = presentedCredentials(req, form, basic);
  if (presented.length === 0)
    throw invalidClient('Client authentication is required (HTTP Basic or client_id + client_secret)');
  for (const { id, secret } of presented) {
    const client = clients.find((c) => c.id === id);
    if (client && sameSecret(client.secret, secret)) return client;
  }
  throw invalidClient('Unknown client or wrong client secret');
}

function sameSecret(expected: string, given: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(expected), digest(given));
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
