import { expect } from '@jest/globals';
import { SregistryError } from '../../src/core/errors.js';

/** What `promise` rejected with, taken to be an SregistryError; throws when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<SregistryError> {
  try {
    await promise;
  } catch (err) {
    return err as SregistryError;
  }
  throw new Error('expected a rejection');
}

/** Like `failure`, and asserts that the rejection is an SregistryError. */
export async function caught(promise: Promise<unknown>): Promise<SregistryError> {
  const err = await failure(promise);
  expect(err).toBeInstanceOf(SregistryError);
  return err;
}

/** The `code` of what `fn` throws, or undefined when it returns. */
export function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}
