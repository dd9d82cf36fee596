/**
 * A page the channel accepted is never sent again because Omnitron failed afterwards: sendBatch checkpoints the
 * channel's answer (a heartbeat detail) before its Omnitron bookkeeping, and a retry finishes from the checkpoint.
 * Omnitron alone fails here (10% 503s), the marketplace is healthy, so any body it accepts twice is a page re-sent.
 */
import type { SendFlowSummary } from '../../workflows/send-flows';
import { FAST_TUNING, mismatches, startStockTestEnv, type StockTestEnv } from '../support/stock-env';

let env: StockTestEnv;
beforeAll(async () => {
  env = await startStockTestEnv({ skus: 120, limits: { itemsPerRequest: 10, requestsPerSecond: 100 } });
  await env.control('PUT', 'faults/omnitron', { errorRate: 0.1 });
});
afterAll(async () => {
  await env?.close();
});

test('Omnitron failing after the channel accepted a page never makes stockflow send it again', async () => {
  const summaries = await Promise.all(
    [1, 2].map(
      async (channelId) =>
        (await (
          await env.stockflow.start('insertProductStocks', { channelId, tuning: FAST_TUNING })
        ).result()) as SendFlowSummary,
    ),
  );
  for (const summary of summaries) expect(summary).toMatchObject({ pages: 12, pagesFailed: 0, batchesFailed: 0 });
  expect(await mismatches(env, 1)).toEqual([]);
  expect(await mismatches(env, 2)).toEqual([]);
  const market = await env.control<{ trendyolBodiesAcceptedAgain: number; shopifyMutationsAppliedAgain: number }>(
    'GET',
    'marketplace/stats',
  );
  expect(market).toMatchObject({ trendyolBodiesAcceptedAgain: 0, shopifyMutationsAppliedAgain: 0 });
  const stats = await env.control<{ omnitron: { injected5xx: number } }>('GET', 'stats');
  expect(stats.omnitron.injected5xx).toBeGreaterThan(5);
});
