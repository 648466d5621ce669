import { createHash } from 'node:crypto';

/**
 * A UUID-shaped id (version 4 and variant bits set) that comes out the same on every start
 * for the same parts: ids the sandbox derives rather than draws (a collection's gateway
 * and hosts, a config file's rules, the owner's role).
 */
export function stableId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join(':')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
