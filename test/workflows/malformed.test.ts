/**
 * Malformed product stocks from Omnitron (a broken row: malformed in every answer, read by pk too) become one error
 * report each, end in a `done` batch, and stop being handed out; every well-formed stock is delivered, and the run
 * takes no more pages than the list needs — broken rows never starve it.
 */
import type { SendFlowSummary } from '../../workflows/send-flows';
import { FAST_TUNING, mismatches, startStockTestEnv, type StockTestEnv } from '../support/stock-env';

const SKUS = 200;
const PAGE = 10;
let env: StockTestEnv;
beforeAll(async () => {
  env = await startStockTestEnv({ skus: SKUS, limits: { itemsPerRequest: PAGE, requestsPerSecond: 100 } });
  await env.control('PUT', 'faults/omnitron', { malformedRate: 0.1, malformedPersistent: true });
});
afterAll(async () => {
  await env?.close();
});

test('each broken row is reported once and settled; the rest of the list is delivered in as many pages as it needs', async () => {
  const summary = (await (
    await env.stockflow.start('insertProductStocks', { channelId: 2, isSuccessLog: false, tuning: FAST_TUNING })
  ).result()) as SendFlowSummary;
  const { records } = await env.control<{ records: { pk: number; times: number }[] }>(
    'GET',
    'omnitron/malformed?channel=2',
  );
  const broken = records.map((r) => r.pk);
  expect(broken.length).toBeGreaterThan(5);
  // Handed out once: committed with the page, they are not offered again.
  expect(records.every((r) => r.times === 1)).toBe(true);
  expect(summary).toMatchObject({ pages: SKUS / PAGE, pagesFailed: 0, targetsGivenUp: [] });

  const reports = env.sandbox.state.catalog.reports.all.filter((r) => r.channel === 2 && !r.is_ok);
  const malformedReports = reports.filter((r) =>
    /^malformed product stock from Omnitron/.test(r.error_desc ?? ''),
  );
  expect(malformedReports.map((r) => r.action_object_id).sort((a, b) => Number(a) - Number(b))).toEqual(
    [...broken].sort((a, b) => a - b),
  );
  const settled = [...env.sandbox.state.catalog.batches.all.values()]
    .filter((b) => b.channel === 2 && b.status === 'done')
    .flatMap((b) => b.objects)
    .filter((o) => broken.includes(o.pk));
  expect(settled.map((o) => o.failed_reason_type)).toEqual(broken.map(() => 'channel_app'));

  const wrong = (await mismatches(env, 2)).map((w) => Number(w.sku.slice(2)));
  const neverListed = (pk: number) => pk % 50 === 0;
  expect(wrong.filter((pk) => !broken.includes(pk) && !neverListed(pk))).toEqual([]);
});
