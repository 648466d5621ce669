import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SandboxError } from '../errors.js';

/** An access token the sandbox's Auth issued. */
export interface IssuedToken {
  token: string;
  clientId: string;
  resourceServer: string;
  scopes: string[];
  issuedAt: number;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** Expired tokens kept after a sweep, newest first, so that a scan for leaked tokens still finds recent ones. */
export const EXPIRED_TOKENS_KEPT = 1000;
const SWEEP_EVERY = 256;

/**
 * Tokens issued so far, in memory; the sandbox forgets them when it stops, as a restart
 * should. Every live token is kept; of the expired ones only the newest
 * EXPIRED_TOKENS_KEPT, so a sandbox that runs for weeks does not grow with every token
 * it ever issued. An expired token is refused either way.
 */
export class TokenStore {
  readonly #tokens = new Map<string, IssuedToken>();
  #issuedSinceSweep = 0;

  issue(clientId: string, resourceServer: string, scopes: string[], lifetimeSeconds: number): IssuedToken {
    const now = Date.now();
    const issued: IssuedToken = {
      token: `Ag${randomBytes(40).toString('base64url')}`,
      clientId,
      resourceServer,
      scopes,
      issuedAt: now,
      expiresAt: now + lifetimeSeconds * 1000,
    };
    this.#tokens.set(issued.token, issued);
    if (++this.#issuedSinceSweep >= SWEEP_EVERY) this.sweep();
    return issued;
  }

  /** Forgets expired tokens beyond the newest EXPIRED_TOKENS_KEPT; returns how many it forgot. */
  sweep(): number {
    this.#issuedSinceSweep = 0;
    const now = Date.now();
    const expired = [...this.#tokens.values()].filter((t) => t.expiresAt <= now);
    if (expired.length <= EXPIRED_TOKENS_KEPT) return 0;
    // Oldest issued first: Map order is issue order.
    const forget = expired.slice(0, expired.length - EXPIRED_TOKENS_KEPT);
    for (const t of forget) this.#tokens.delete(t.token);
    return forget.length;
  }

  /** The token when it is known and not expired. */
  active(token: string): IssuedToken | undefined {
    const found = this.#tokens.get(token);
    return found && found.expiresAt > Date.now() ? found : undefined;
  }

  /** Make every token (of one client, when named) expire now; returns how many. */
  expire(clientId?: string): number {
    let count = 0;
    for (const t of this.#tokens.values()) {
      if (clientId && t.clientId !== clientId) continue;
      if (t.expiresAt > Date.now()) count++;
      t.expiresAt = 0;
    }
    return count;
  }

  /** Every token string still known (every live one, the newest expired ones); tests scan output for them. */
  all(): string[] {
    return [...this.#tokens.keys()];
  }
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * The caller's token, checked for `scope`. Answers like Transfer does: 401
 * AuthenticationFailed for a missing, unknown or expired token, and for one issued for
 * another resource server.
 */
export function requireToken(store: TokenStore, req: IncomingMessage, scope: string): IssuedToken {
  const raw = bearerToken(req);
  if (!raw) throw new SandboxError(401, 'AuthenticationFailed', 'No Authorization header provided');
  const token = store.active(raw);
  if (!token) throw new SandboxError(401, 'AuthenticationFailed', 'Token is not active');
  if (!token.scopes.includes(scope)) {
    throw new SandboxError(
      401,
      'AuthenticationFailed',
      `Token is not valid for this resource; it needs scope ${scope}`,
    );
  }
  return token;
}
