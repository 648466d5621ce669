/** Bounds for polling: generous limits on how long to wait, never timing assertions. */
export interface PollOptions {
  /** Give up after this long (default 10 s). */
  boundMs?: number;
  /** Pause between tries (default 10 ms). */
  everyMs?: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads a value until `done` holds for it and returns that value. After the bound it
 * throws, naming `what` (or describing the last value read).
 */
export async function pollUntil<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  what: string | ((last: T) => string),
  options: PollOptions = {},
): Promise<T> {
  const { boundMs = 10_000, everyMs = 10 } = options;
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(typeof what === 'string' ? `Timed out waiting for ${what}` : what(value));
    await sleep(everyMs);
  }
}

/** Polls `check` until it is true; fails after a generous bound (not a timing assertion). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  options: PollOptions = {},
): Promise<void> {
  await pollUntil(check, (ok) => ok, what, options);
}
