import { describe, expect, it } from '@jest/globals';
import {
  abortableSleep,
  assertSecureUrl,
  backoffDelay,
  isLoopbackHost,
  isRetryableStatus,
  parseGlobusError,
  parseRetryAfter,
  safeText,
} from '../../../src/core/http/index.js';
import { SregistryError } from '../../../src/core/errors.js';
import { countHostile } from '../../reliability/ledger.js';

describe('retry policy pieces', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('backs off exponentially with jitter, capped at the maximum', () => {
    const policy = { baseDelayMs: 500, maxDelayMs: 10_000 };
    expect(backoffDelay(1, { ...policy, random: () => 0 })).toBe(250);
    expect(backoffDelay(1, { ...policy, random: () => 0.999999 })).toBe(500);
    expect(backoffDelay(3, { ...policy, random: () => 0.999999 })).toBe(2000);
    expect(backoffDelay(10, { ...policy, random: () => 0.999999 })).toBe(10_000);
    expect(backoffDelay(10, { ...policy, random: () => 0 })).toBe(5000);
  });

  it('retries 429/503 always and 500/502/504 unless the endpoint failed', () => {
    expect(isRetryableStatus(429)).toBe(true);
    expect(isRetryableStatus(503, 'EndpointError')).toBe(true);
    expect(isRetryableStatus(502)).toBe(true);
    expect(isRetryableStatus(502, 'ExternalError.DirListingFailed')).toBe(false);
    expect(isRetryableStatus(500, 'EndpointError')).toBe(false);
    expect(isRetryableStatus(404)).toBe(false);
    expect(isRetryableStatus(501)).toBe(false);
  });
});

describe('waiting', () => {
  // A timer created after a busy stretch counts from the loop's stale clock, so a bare
  // setTimeout(5) here resolves in under 5 ms by Date.now() about a third of the time.
  it('never resolves before the wait has passed by the wall clock, even after a busy stretch', async () => {
    const short: number[] = [];
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setImmediate(r));
      const busyUntil = Date.now() + 3;
      while (Date.now() < busyUntil);
      const start = Date.now();
      await abortableSleep(5);
      if (Date.now() - start < 5) short.push(Date.now() - start);
    }
    expect(short).toEqual([]);
  });

  it('rejects with ABORTED at once when the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const wait = abortableSleep(60_000, controller.signal);
    setTimeout(() => controller.abort(), 10);
    await expect(wait).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('secure URLs', () => {
  it('allows https anywhere and http only to loopback', () => {
    for (const ok of [
      'https://transfer.api.globus.org/',
      'http://127.0.0.1:8080/',
      'http://127.9.9.9/',
      'http://localhost:1/',
      'http://[::1]:9/',
    ]) {
      expect(assertSecureUrl(ok).href).toBe(new URL(ok).href);
    }
    for (const bad of [
      'http://auth.globus.org/',
      'http://10.0.0.1/',
      'http://128.0.0.1/',
      'ftp://127.0.0.1/',
      'http://localhost.example.org/',
      'http://evil.localhost/',
      'http://a.b.localhost:8080/',
      'http://x.localhost./',
    ]) {
      expect(() => assertSecureUrl(bad)).toThrow(expect.objectContaining({ code: 'INSECURE_URL' }) as unknown as Error);
    }
    expect(() => assertSecureUrl('not a url')).toThrow(SregistryError);
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
    // Names under .localhost may be answered by DNS (Node does not pin them to loopback as curl does).
    expect(isLoopbackHost('evil.localhost')).toBe(false);
    expect(assertSecureUrl('http://localhost./').hostname).toBe('localhost.');
    countHostile('plain http to a name under .localhost', 'core');
  });
});

describe('Globus error bodies', () => {
  it('reads the Transfer shape', () => {
    const body = Buffer.from(
      JSON.stringify({
        code: 'ClientError.NotFound',
        message: 'No such file',
        request_id: 'r1',
        resource: '/operation/endpoint/x/ls',
      }),
    );
    expect(parseGlobusError(body, 'application/json', false)).toEqual({
      globusCode: 'ClientError.NotFound',
      message: 'No such file',
      requestId: 'r1',
      resource: '/operation/endpoint/x/ls',
    });
  });

  it('reads the Auth shape', () => {
    const body = Buffer.from(
      JSON.stringify({
        errors: [{ status: '401', id: 'e1', code: 'UNAUTHORIZED', title: 'Unauthorized', detail: 'Bad' }],
        error: 'invalid_client',
        error_description: 'Unknown client',
      }),
    );
    expect(parseGlobusError(body, 'application/json', false)).toEqual({
      globusCode: 'UNAUTHORIZED',
      message: 'Unknown client',
      requestId: 'e1',
    });
  });

  it('marks truncated and non-JSON bodies', () => {
    expect(parseGlobusError(Buffer.from('{"code":'), 'application/json', true).nonJson).toEqual({
      contentType: 'application/json',
      truncated: true,
    });
    expect(parseGlobusError(Buffer.from('oops'), 'text/plain; charset=utf-8', false).nonJson).toEqual({
      contentType: 'text/plain',
      truncated: false,
    });
  });

  it('keeps text to one bounded line without secrets', () => {
    expect(safeText('a\n b\tc', [])).toBe('a b c');
    expect(safeText('key s3cr3t-value here', ['s3cr3t-value'])).toBe('key [redacted] here');
    expect(safeText('Authorization: Bearer abc.def', [])).toBe('Authorization: Bearer [redacted]');
    expect(safeText('x'.repeat(1000), [], 50)).toHaveLength(50);
  });
});
