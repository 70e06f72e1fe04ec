/**
 * One page (1-based) of a collection read whole (`queryAll`: the lists are filtered
 * and sorted after the Query, so `total` counts every match), with the fields
 * LiteLLM's list routes page by. Each route names the items (and, for keys, the
 * counts) its own way.
 */
export function pageOf<T>(all: readonly T[], page: number, pageSize: number, opts: { atLeastOnePage?: boolean } = {}) {
  const start = (page - 1) * pageSize;
  const pages = Math.ceil(all.length / pageSize);
  return {
    items: all.slice(start, start + pageSize),
    total: all.length,
    page,
    page_size: pageSize,
    total_pages: opts.atLeastOnePage ? Math.max(1, pages) : pages,
  };
}
