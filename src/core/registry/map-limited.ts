/**
 * How many jobs may run at once; `lower()` halves it (never below 1). Workers above the
 * current limit stop after their job, so a lowered limit takes effect without cancelling
 * anything.
 */
export class Concurrency {
  #limit: number;

  constructor(limit: number) {
    this.#limit = Math.max(1, Math.floor(limit));
  }

  get limit(): number {
    return this.#limit;
  }

  /** Halves the limit; false when it was 1 already. */
  lower(): boolean {
    if (this.#limit <= 1) return false;
    this.#limit = Math.max(1, Math.floor(this.#limit / 2));
    return true;
  }
}

/** Runs async jobs with at most `limit` at a time (a number, or a Concurrency that may be lowered meanwhile). */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number | Concurrency,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const gauge = typeof limit === 'number' ? new Concurrency(limit) : limit;
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async (slot: number): Promise<void> => {
    while (!failed && next < items.length && slot < gauge.limit) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(gauge.limit, items.length)) }, (_, slot) => worker(slot)),
  );
  if (failed) throw failed.err;
  return out;
}
