/**
 * Transient faults everywhere — 5xx, 429 with Retry-After and timeouts from the marketplace, 5xx from Omnitron — and
 * the runs still complete with everything delivered: Temporal's retries are the one retry layer.
 */
import type { SendFlowSummary } from '../../workflows/send-flows';
import { batchCounts, FAST_TUNING, mismatches, startStockTestEnv, type StockTestEnv } from '../support/stock-env';

let env: StockTestEnv;
beforeAll(async () => {
  env = await startStockTestEnv({
    skus: 150,
    limits: { itemsPerRequest: 10 },
    sandbox: { marketplace: { batchDelayMs: 100 } },
    timeoutMs: 1_000, // an injected timeout holds the request for 3 s: the client gives up after 1 s and retries
  });
  // Rates high enough that every kind of fault surely happens in a run of this size.
  await env.control('PUT', 'faults/marketplace', {
    errorRate: 0.15,
    rateLimitRate: 0.1,
    retryAfterSeconds: 1,
    timeoutRate: 0.05,
    timeoutHoldMs: 3_000,
  });
  await env.control('PUT', 'faults/omnitron', { errorRate: 0.05 });
});
afterAll(async () => {
  await env?.close();
});

test.each([
  ['async Trendyol', 1],
  ['sync Shopify', 2],
])('%s channel: every stock delivered despite injected faults', async (_name, channelId) => {
  const handle = await env.stockflow.start('insertProductStocks', { channelId, tuning: FAST_TUNING });
  const summary = (await handle.result()) as SendFlowSummary;
  expect(summary).toMatchObject({ pagesFailed: 0, batchesFailed: 0 });
  expect(await mismatches(env, channelId)).toEqual([]);
  expect(await batchCounts(env, channelId)).toMatchObject({ initialized: 0, commit: 0, sent_to_remote: 0, ongoing: 0 });
});

test('the faults really happened', async () => {
  const stats = await env.control<
    Record<string, { injected5xx: number; injected429: number; injectedTimeouts: number }>
  >('GET', 'stats');
  expect(stats.marketplace?.injected5xx).toBeGreaterThan(0);
  expect(stats.marketplace?.injected429).toBeGreaterThan(0);
  expect(stats.marketplace?.injectedTimeouts).toBeGreaterThan(0);
  expect(stats.omnitron?.injected5xx).toBeGreaterThan(0);
});
