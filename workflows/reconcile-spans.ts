import type { ReconcileLayout, ReconcileSpan } from '../activities/reconcile-types';

/**
 * Where chunk `index` of a list lies in the stock API's pages. Chunk 0 is page 1 from its start, one channel read's
 * worth (its answer tells the layout); after it, chunks are aligned to pages — a page split into reads when a read
 * takes fewer SKUs than a page holds (Trendyol: 50 of 100), else as many whole pages as one read takes (Shopify: 2 of
 * 100 in 250) — so any chunk can be placed without reading the ones before it, and several are read side by side.
 */
export function spanAt(layout: ReconcileLayout | undefined, index: number): ReconcileSpan {
  if (!layout || index === 0) return { page: 1, offset: 0, pages: 1, limit: layout?.readSize };
  const pageSize = Math.max(1, layout.pageSize);
  const read = layout.readSize;
  if (read < pageSize) {
    const parts = Math.ceil(pageSize / read);
    return { page: Math.floor(index / parts) + 1, offset: (index % parts) * read, pages: 1, limit: read };
  }
  const perChunk = Math.floor(read / pageSize);
  return { page: 2 + (index - 1) * perChunk, offset: 0, pages: perChunk, limit: perChunk * pageSize };
}
