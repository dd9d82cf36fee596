/** Chunks placed by the stock API's layout tile a list exactly: every SKU in one chunk, none twice, none skipped. */
import { spanAt } from '../../workflows/reconcile-spans';

/** The SKU positions (page × pageSize + offset) chunks 0… cover, for a list of `total` SKUs. */
function covered(pageSize: number, readSize: number, total: number): number[] {
  const positions: number[] = [];
  const layout = { pageSize, readSize };
  for (let index = 0; ; index++) {
    const span = spanAt(index === 0 ? undefined : layout, index);
    const limit = Math.min(span.limit ?? readSize, readSize);
    const taken: number[] = [];
    for (let p = 0; p < span.pages && taken.length < limit; p++) {
      const first = (span.page - 1 + p) * pageSize + (p === 0 ? span.offset : 0);
      const pageEnd = Math.min((span.page + p) * pageSize, total);
      for (let i = first; i < pageEnd && taken.length < limit; i++) taken.push(i);
    }
    if (taken.length === 0) return positions;
    expect(taken.length).toBeLessThanOrEqual(readSize);
    positions.push(...taken);
  }
}

test.each([
  [100, 50, 1_234], // Trendyol: a page split into two reads
  [100, 20, 130],
  [100, 250, 1_234], // Shopify: two whole pages a read (after the first chunk, page 1 alone)
  [100, 100, 1_000],
  [100, 30, 99], // one short page: the list ends inside page 1
])('page size %i, reads of %i, %i SKUs: each SKU once', (pageSize, readSize, total) => {
  expect(covered(pageSize, readSize, total)).toEqual(Array.from({ length: total }, (_, i) => i));
});

test('the first chunk reads page 1 from its start, one read’s worth, before the layout is known', () => {
  expect(spanAt(undefined, 0)).toEqual({ page: 1, offset: 0, pages: 1, limit: undefined });
  expect(spanAt({ pageSize: 100, readSize: 50 }, 3)).toEqual({ page: 2, offset: 50, pages: 1, limit: 50 });
  expect(spanAt({ pageSize: 100, readSize: 250 }, 2)).toEqual({ page: 4, offset: 0, pages: 2, limit: 200 });
});
