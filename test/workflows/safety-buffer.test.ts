/**
 * A channel's safety buffer: every quantity published to the marketplace is max(0, stock - buffer), so a burst of
 * orders on another channel cannot oversell this one.
 */
import { mismatches, startStockTestEnv, type StockTestEnv } from '../support/stock-env';

const BUFFER = 25;
let env: StockTestEnv;
beforeAll(async () => {
  env = await startStockTestEnv({ skus: 60, limits: { itemsPerRequest: 20 }, safetyBuffer: BUFFER });
});
afterAll(async () => {
  await env?.close();
});

test('the marketplace holds Omnitron stock minus the buffer, never below zero', async () => {
  await (await env.stockflow.start('insertProductStocks', { channelId: 2 })).result();
  const rows = await mismatches(env, 2);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) expect(row.held).toBe(Math.max(0, row.expected - BUFFER));
  // The seeded stocks span both sides of the buffer: some are held at zero, some above.
  expect(rows.some((row) => row.held === 0)).toBe(true);
  expect(rows.some((row) => (row.held ?? 0) > 0)).toBe(true);
});
