/** The DRF page envelope both Omnitron and Whippy Ware answer lists with: `{count, next, previous, results}`. */
import { z } from 'zod';

/** Read tolerantly: `next`/`previous` may be absent (a last page), `count` too (then it is the page's length). */
export function drfPageSchema<T extends z.ZodType>(item: T) {
  return z
    .object({
      count: z.number().int().nonnegative().optional(),
      next: z.string().nullish(),
      previous: z.string().nullish(),
      results: z.array(item),
    })
    .transform((page) => ({
      count: page.count ?? page.results.length,
      next: page.next ?? null,
      previous: page.previous ?? null,
      results: page.results,
    }));
}

export interface DrfPage<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** Reads page 1, 2, ... until a page has no `next` (or no results). */
export async function* iteratePages<T>(
  fetchPage: (page: number) => Promise<{ next: string | null; results: T[] }>,
): AsyncGenerator<T> {
  for (let page = 1; ; page++) {
    const answer = await fetchPage(page);
    yield* answer.results;
    if (answer.next === null || answer.results.length === 0) return;
  }
}
