import { isIP } from 'node:net';
import { SregistryError } from '../errors.js';

/** True for `localhost`, 127.0.0.0/8 and ::1 (also the IPv4-mapped form). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
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
    throw new SregistryError('INVALID_INPUT', `Not a valid URL: ${String(url).slice(0, 200)}; give an absolute https:// URL`);
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return parsed;
  if (parsed.protocol === 'http:') {
    throw new SregistryError('INSECURE_URL', `Refusing plain http to ${parsed.host}: use https:// (http is allowed only for localhost/127.0.0.1/::1)`);
  }
  throw new SregistryError('INSECURE_URL', `Refusing ${parsed.protocol} URL for ${parsed.host}: use https://`);
}
