import { describe, expect, it } from '@jest/globals';
import { EXPIRED_TOKENS_KEPT, TokenStore } from '../../src/sandbox/auth/tokens.js';

describe('sandbox token store', () => {
  it('keeps every live token and only the newest expired ones, so a long run does not grow with every token issued', () => {
    const store = new TokenStore();
    const old = Array.from(
      { length: EXPIRED_TOKENS_KEPT + 500 },
      () => store.issue('c', 'transfer.api.globus.org', ['s'], 3600).token,
    );
    expect(store.expire()).toBe(old.length);
    const live = Array.from({ length: 300 }, () => store.issue('c', 'transfer.api.globus.org', ['s'], 3600).token);
    const known = new Set(store.all());
    // The 300 issues after the expiry swept once: the oldest 500 expired tokens are gone.
    expect(known.size).toBe(EXPIRED_TOKENS_KEPT + live.length);
    for (const t of live) expect(store.active(t)).toBeDefined();
    for (const t of old.slice(0, 500)) expect(known.has(t)).toBe(false);
    for (const t of old.slice(500)) {
      expect(known.has(t)).toBe(true);
      expect(store.active(t)).toBeUndefined();
    }
  });

  it('forgets nothing while the tokens are live', () => {
    const store = new TokenStore();
    const tokens = Array.from(
      { length: EXPIRED_TOKENS_KEPT + 600 },
      () => store.issue('c', 'auth.globus.org', ['openid'], 3600).token,
    );
    expect(store.sweep()).toBe(0);
    expect(store.all()).toHaveLength(tokens.length);
  });
});
