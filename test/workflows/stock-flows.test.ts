import { startStockTestEnv, FAST_POLLING, type StockTestEnv } from '../support/stock-env';

let env: StockTestEnv;
beforeAll(async () => {
  env = await startStockTestEnv({
    skus: 200,
    limits: { itemsPerRequest: 40 },
    sandbox: { marketplace: { batchDelayMs: 200 } },
  });
});
afterAll(async () => {
  await env?.close();
});

test('insertProductStocks on the async Trendyol channel delivers every listed stock', async () => {
  const handle = await env.stockflow.start('insertProductStocks', { channelId: 1, tuning: FAST_POLLING });
  const summary = await handle.result();
  console.log(summary);
  const expected = await env.control<{ quantities: Record<string, number> }>('GET', 'channels/1/expected');
  const held = await env.control<Record<string, number>>('GET', 'marketplace/trendyol/quantities');
  expect(held).toEqual(expected.quantities);
});
