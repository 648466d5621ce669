/** The paging style of Transfer v0.10 (offset and limit), as an async iterable that fetches one page at a time. */

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
export async function* offsetPaged<T>(
  fetchPage: (offset: number, limit: number) => Promise<OffsetPage<T>>,
  paging: OffsetPaging,
): AsyncGenerator<T> {
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
