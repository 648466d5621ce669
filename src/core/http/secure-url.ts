import { isIP } from 'node:net';
import { SregistryError } from '../errors.js';

/**
 * True for `localhost`, 127.0.0.0/8 and ::1 (also the IPv4-mapped form). Not for a name
 * under `.localhost`: curl answers those with loopback itself, but Node's resolver may
 * ask DNS, which can answer with any address, so plain http there is refused.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) {
    if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

/**
 * Parses `url` and refuses anything but https, except plain http to a loopback host
 * (the sandbox). Credentials must never cross a network in clear text.
 */
export function assertSecureUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : new URL(url.href);
  } catch {
    throw new SregistryError(
      'INVALID_INPUT',
      `Not a valid URL: ${String(url).slice(0, 200)}; give an absolute https:// URL`,
    );
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return parsed;
  if (parsed.protocol === 'http:') {
    const why = /\.localhost\.?$/i.test(parsed.hostname) ? ' (a name under .localhost may be answered by DNS)' : '';
    throw new SregistryError(
      'INSECURE_URL',
      `Refusing plain http to ${parsed.host}${why}: use https:// (http is allowed only for localhost/127.0.0.1/::1)`,
    );
  }
  throw new SregistryError('INSECURE_URL', `Refusing ${parsed.protocol} URL for ${parsed.host}: use https://`);
}
