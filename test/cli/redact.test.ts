import { describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { Output } from '../../src/cli/output.js';
import { REDACTED, Redactor } from '../../src/core/redact.js';

const token = `Ag${'x7Yq'.repeat(20)}`;

describe('Redactor', () => {
  it('hides the client secret wherever it appears', () => {
    const r = new Redactor();
    r.add('s3cr3t-value-of-the-client');
    expect(r.redact('secret=s3cr3t-value-of-the-client; again s3cr3t-value-of-the-client')).toBe(
      `secret=${REDACTED}; again ${REDACTED}`,
    );
  });

  it.each([
    [`Authorization: Bearer ${token}`, `Authorization: Bearer ${REDACTED}`],
    ['authorization: bearer opaque.token-value_123', `authorization: bearer ${REDACTED}`],
    [`{"access_token":"${token}","expires_in":172800}`, `{"access_token":"${REDACTED}","expires_in":172800}`],
    ['{"access_token": "an-opaque-value-xyz"}', `{"access_token": "${REDACTED}"}`],
    [
      'grant_type=client_credentials&client_secret=abcdefgh12345&scope=x',
      `grant_type=client_credentials&client_secret=${REDACTED}&scope=x`,
    ],
    ['refresh_token=zzzzzzzzzzzz', `refresh_token=${REDACTED}`],
    [`token ${token} leaked bare`, `token ${REDACTED} leaked bare`],
  ])('redacts %s', (input, expected) => {
    expect(new Redactor().redact(input)).toBe(expected);
  });

  it('leaves ordinary output and placeholders alone', () => {
    const text =
      'pushed lab/app:latest@0fd875bd173dd59f11bce78f4a14f2ec640db60cd6073dcb26ca332a69698aa1\nexport GLOBUS_CLIENT_SECRET=... and client_secret=$SECRET';
    expect(new Redactor().redact(text)).toBe(text);
  });

  it('applies to everything Output writes, stdout and stderr, JSON included', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const redactor = new Redactor();
    redactor.add('the-client-secret-1234');
    const output = new Output(
      { stdout, stderr, stderrIsTTY: false },
      { json: true, quiet: false, debug: true },
      redactor,
    );
    output.json({ note: 'the-client-secret-1234', header: `Bearer ${token}` });
    output.debug(`POST /v2/oauth2/token {"access_token":"${token}"}`);
    output.line('error: the-client-secret-1234 was refused');
    await new Promise((r) => setImmediate(r));
    expect(out).not.toContain('the-client-secret-1234');
    expect(out).not.toContain(token);
    expect(out.split(REDACTED).length - 1).toBe(4);
  });
});
