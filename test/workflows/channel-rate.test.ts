/**
 * A channel's request rate is held by the Temporal server, not by each process: the marketplace calls run on the
 * channel's own task queue, whose workers declare the adapter's `requestsPerSecond`. The sandbox marketplace answers
 * 429 beyond its own limit, so a flow held to a lower rate meets no 429 at all — and the same flow without the limit
 * does (the control run, so this test can fail).
 */
import { mismatches, startStockTestEnv, FAST_TUNING, type StockTestEnv } from '../support/stock-env';

const MARKETPLACE_RATE = 2;
const SKUS = 400; // 16 pages of 25 inserts, one Shopify request each; every 50th product was never listed (8 fail)

async function runAtRate(requestsPerSecond: number): Promise<{ rateLimited429: number; env: StockTestEnv }> {
  const env = await startStockTestEnv({ skus: SKUS, limits: { itemsPerRequest: 25, requestsPerSecond } });
  await env.control('PUT', 'faults/marketplace', { requestsPerSecond: MARKETPLACE_RATE });
  const summary = await (
    await env.stockflow.start('insertProductStocks', { channelId: 2, tuning: FAST_TUNING })
  ).result();
  expect(summary).toMatchObject({ pages: 16, stocksSent: 392, stocksFailed: 8, pagesFailed: 0 });
  const stats = await env.control<{ marketplace: { rateLimited429: number } }>('GET', 'stats');
  return { rateLimited429: stats.marketplace.rateLimited429, env };
}

const envs: StockTestEnv[] = [];
afterAll(async () => {
  await Promise.all(envs.map((env) => env.close()));
});

test('held to half the marketplace rate, a flow meets no 429 and delivers everything', async () => {
  const { rateLimited429, env } = await runAtRate(MARKETPLACE_RATE / 2);
  envs.push(env);
  expect(rateLimited429).toBe(0);
  expect(await mismatches(env, 2)).toEqual([]);
});

test('control: without the limit the same flow outruns the marketplace and is answered 429', async () => {
  const { rateLimited429, env } = await runAtRate(1_000);
  envs.push(env);
  expect(rateLimited429).toBeGreaterThan(0);
  // 429s are retried after Retry-After: still everything delivered.
  expect(await mismatches(env, 2)).toEqual([]);
});
