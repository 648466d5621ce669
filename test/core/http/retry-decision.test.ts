import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { decideRetry, retryPolicy, type Attempt, type AttemptOutcome } from '../../../src/core/http/retry.js';

// random 0: the jitter takes the lowest value, so every wait is exact.
const policy = retryPolicy({
  maxRetries: 5,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  rateLimitWindowMs: 10_000,
  maxRateLimitRetries: 30,
  random: () => 0,
});
const decide = (outcome: AttemptOutcome, retries = 0, extra: Partial<Attempt> = {}) =>
  decideRetry(policy, { retries, outcome, ...extra });
const answer = (status: number, more: Partial<Extract<AttemptOutcome, { kind: 'answer' }>> = {}): AttemptOutcome => ({
  kind: 'answer',
  status,
  ...more,
});

describe('the retry decision', () => {
  it('waits out a 429 with Retry-After for what it says, capped at the longest wait, within the usual retries', () => {
    expect(decide(answer(429, { retryAfter: '3' }))).toEqual({
      retry: true,
      delayMs: 3000,
      delaySource: 'retry-after',
      rateLimited: true,
    });
    expect(decide(answer(429, { retryAfter: ['60'] }))).toEqual({
      retry: true,
      delayMs: 10_000,
      delaySource: 'retry-after',
      rateLimited: true,
    });
    expect(decide(answer(429, { retryAfter: '0' }), 4)).toMatchObject({ retry: true, delayMs: 0 });
    expect(decide(answer(429, { retryAfter: '0' }), 5)).toEqual({ retry: false, why: 'budget' });
  });

  it('waits out a 429 without Retry-After one rate-limit window at a time, with 30 retries beyond the usual 5', () => {
    expect(decide(answer(429))).toEqual({ retry: true, delayMs: 10_000, delaySource: 'backoff', rateLimited: true });
    expect(decide(answer(429, { retryAfter: 'soon' }), 20)).toEqual({
      retry: true,
      delayMs: 10_000,
      delaySource: 'backoff',
      rateLimited: true,
    });
    expect(decide(answer(429), 34)).toMatchObject({ retry: true });
    expect(decide(answer(429), 35)).toEqual({ retry: false, why: 'budget' });
    expect(decideRetry({ ...policy, random: () => 0.999999 }, { retries: 0, outcome: answer(429) })).toMatchObject({
      delayMs: 15_000,
    });
  });

  it('retries 503 always and 500/502/504 unless the endpoint failed, with jittered exponential backoff', () => {
    expect(decide(answer(503, { globusCode: 'EndpointError' }))).toEqual({
      retry: true,
      delayMs: 250,
      delaySource: 'backoff',
      rateLimited: false,
    });
    expect(decide(answer(503, { retryAfter: '2' }))).toEqual({
      retry: true,
      delayMs: 2000,
      delaySource: 'retry-after',
      rateLimited: false,
    });
    expect(decide(answer(502), 2)).toMatchObject({ retry: true, delayMs: 1000 });
    expect(decide(answer(500), 4)).toMatchObject({ retry: true, delayMs: 4000 });
    expect(decide(answer(504), 5)).toEqual({ retry: false, why: 'budget' });
    expect(decide(answer(502, { globusCode: 'ExternalError.DirListingFailed.GCDisconnected' }))).toEqual({
      retry: false,
      why: 'not-retryable',
    });
    expect(decide(answer(500, { globusCode: 'EndpointError' }))).toEqual({ retry: false, why: 'not-retryable' });
    for (const status of [400, 401, 403, 404, 409, 501])
      expect(decide(answer(status))).toEqual({ retry: false, why: 'not-retryable' });
  });

  it('sends a streamed body that already flowed only once', () => {
    expect(decide(answer(503), 0, { replayable: false })).toEqual({ retry: false, why: 'unreplayable' });
    expect(decide({ kind: 'network', code: 'ECONNRESET' }, 0, { replayable: false })).toEqual({
      retry: false,
      why: 'unreplayable',
    });
  });

  it('retries resets and timeouts with backoff, and a refused connection once', () => {
    for (const code of [
      'ECONNRESET',
      'EPIPE',
      'UND_ERR_SOCKET',
      'UND_ERR_HEADERS_TIMEOUT',
      'SREGISTRY_BODY_TOO_SLOW',
    ]) {
      expect(decide({ kind: 'network', code }, 1)).toEqual({
        retry: true,
        delayMs: 500,
        delaySource: 'backoff',
        rateLimited: false,
      });
    }
    expect(decide({ kind: 'network', code: 'ECONNRESET' }, 5)).toEqual({ retry: false, why: 'budget' });
    expect(decide({ kind: 'network', code: 'ENOTFOUND' })).toEqual({ retry: false, why: 'not-retryable' });
    expect(decide({ kind: 'network', code: undefined })).toEqual({ retry: false, why: 'not-retryable' });
    expect(decide({ kind: 'network', code: 'ECONNREFUSED' })).toMatchObject({ retry: true, delayMs: 250 });
    expect(decide({ kind: 'network', code: 'ECONNREFUSED' }, 1)).toEqual({ retry: false, why: 'refused' });
    expect(
      decideRetry({ ...policy, maxRetries: 0 }, { retries: 0, outcome: { kind: 'network', code: 'ECONNREFUSED' } }),
    ).toEqual({ retry: false, why: 'refused' });
  });

  it('gives up on a proxy that will not change its mind, and retries one that may', () => {
    expect(decide({ kind: 'network', code: 'ECONNREFUSED', proxy: { final: true } })).toEqual({
      retry: false,
      why: 'proxy',
    });
    expect(decide({ kind: 'network', code: 'EAI_AGAIN', proxy: { final: false } })).toMatchObject({ retry: true });
    expect(decide({ kind: 'network', code: 'EAI_AGAIN', proxy: { final: false } }, 5)).toEqual({
      retry: false,
      why: 'proxy',
    });
    expect(decide({ kind: 'network', code: 'ENOTFOUND', proxy: { final: false } })).toEqual({
      retry: false,
      why: 'proxy',
    });
  });

  it('resumes a cut or short download body, within the usual retries', () => {
    expect(decide({ kind: 'cut', code: 'ERR_STREAM_PREMATURE_CLOSE' })).toEqual({
      retry: true,
      delayMs: 250,
      delaySource: 'backoff',
      rateLimited: false,
    });
    expect(decide({ kind: 'cut', code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' }, 3)).toMatchObject({
      retry: true,
      delayMs: 2000,
    });
    expect(decide({ kind: 'cut', code: 'UND_ERR_BODY_TIMEOUT' }, 4)).toMatchObject({ retry: true });
    expect(decide({ kind: 'short' }, 5)).toEqual({ retry: false, why: 'budget' });
    expect(decide({ kind: 'cut', code: 'EACCES' })).toEqual({ retry: false, why: 'not-retryable' });
    expect(decide({ kind: 'cut', code: undefined })).toEqual({ retry: false, why: 'not-retryable' });
  });

  it('is the only place in src/ that applies the retry rules', async () => {
    const root = join(import.meta.dirname, '../../../src');
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.ts'));
    const rules =
      /\b(backoffDelay|rateLimitDelay|parseRetryAfter|isRetryableStatus|isRetryableNetworkError|maxRateLimitRetries|rateLimitWindowMs)\b/;
    const users: string[] = [];
    for (const f of files) {
      const text = await readFile(join(root, f), 'utf8');
      if (rules.test(text)) users.push(relative(root, join(root, f)));
    }
    // retry.ts holds the rules; http/index.ts re-exports some for their unit tests; types.ts
    // names the option (rateLimitWindowMs) a Registry passes through.
    expect(users.sort()).toEqual(['core/http/index.ts', 'core/http/retry.ts', 'core/registry/types.ts']);
  });
});
