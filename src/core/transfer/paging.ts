/** The paging styles of Transfer v0.10, as async iterables that fetch one page at a time. */

export interface OffsetPage<T> {
  items: T[];
  /** Whether the service says there is more after this page. */
  more: boolean;
}

export interface OffsetPaging {
  pageSize: number;
  /** Stop after this many items in all (the service's cap, or the caller's limit). */
  maxItems?: number;
}

/**
 * Pages by `offset`/`limit`. The last page may be asked for with a smaller `limit` so that
 * `offset + limit` never passes `maxItems` (endpoint_search refuses to page past 1000).
 */
export async function* offsetPaged<T>(fetchPage: (offset: number, limit: number) => Promise<OffsetPage<T>>, paging: OffsetPaging): AsyncGenerator<T> {
  const max = paging.maxItems ?? Number.POSITIVE_INFINITY;
  let offset = 0;
  while (offset < max) {
    const limit = Math.min(paging.pageSize, max - offset);
    const page = await fetchPage(offset, limit);
    const items = page.items.slice(0, limit);
    for (const item of items) yield item;
    offset += items.length;
    // An empty page ends it even if the service claims more (entries removed meanwhile).
    if (!page.more || items.length === 0) return;
  }
}

export interface MarkerPage<T> {
  items: T[];
  /** Where the next page starts; null (or absent) on the last page. */
  next: string | number | null | undefined;
}

/** Pages by `marker` until `next_marker` is null. */
export async function* markerPaged<T>(fetchPage: (marker: string | number | undefined) => Promise<MarkerPage<T>>): AsyncGenerator<T> {
  let marker: string | number | undefined;
  const seen = new Set<string | number>();
  for (;;) {
    const page = await fetchPage(marker);
    for (const item of page.items) yield item;
    if (page.next === null || page.next === undefined || page.next === '') return;
    // A service that hands back a marker it gave before would loop forever.
    if (seen.has(page.next)) return;
    seen.add(page.next);
    marker = page.next;
  }
}
