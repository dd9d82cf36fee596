/**
 * The flows end to end on every marketplace added after Trendyol and Shopify, on the dev server against their
 * sandbox faces over loopback: Hepsiburada (3), N11 (4) and Amazon (5) asynchronous, eBay (6) synchronous with
 * warehouses. After each run the marketplace must hold exactly Omnitron's stock for every listed SKU, no batch may be
 * left open, and no product stock may sit in two `done` batches. The async ones also have their orphaned batches
 * finished by getStockBatchRequests; eBay, the one with warehouses, runs both extra-stock-list flows.
 */
import type { BatchRequestsSummary } from '../../workflows/batch-requests';
import { batchWorkflowId } from '../../workflows/definitions';
import type { SendFlowSummary } from '../../workflows/send-flows';
import { pksInSeveralDoneBatches } from '../support/channel-checks';
import {
  batchCounts,
  FAST_TUNING,
  mismatches,
  startStockTestEnv,
  type StockTestEnv,
  until,
} from '../support/stock-env';

const SKUS = 100;
/** Every 50th seeded product was never sent to a channel: its insert fails before reaching the marketplace. */
const NEVER_SENT = Math.floor(SKUS / 50);
const CHANNELS = [
  { channelId: 3, name: 'Hepsiburada', mode: 'async', warehouses: false },
  { channelId: 4, name: 'N11', mode: 'async', warehouses: false },
  { channelId: 5, name: 'Amazon', mode: 'async', warehouses: false },
  { channelId: 6, name: 'eBay', mode: 'sync', warehouses: true },
] as const;
jest.setTimeout(90_000);

let env: StockTestEnv;
beforeAll(async () => {
  env = await startStockTestEnv({
    skus: SKUS,
    // Within every newcomer's documented request size (eBay takes 25 a call).
    limits: { itemsPerRequest: 20, readItemsPerRequest: 20, requestsPerSecond: 50 },
    channelIds: CHANNELS.map((c) => c.channelId),
    // Amazon documents one feed every two minutes after a burst of 15: far more than a test file sends is allowed.
    sandbox: { marketplace: { batchDelayMs: 150, budgetScale: 100 } },
  });
});
afterAll(async () => {
  await env?.close();
});

const sku = (pk: number) => `SF${String(pk).padStart(7, '0')}`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Raises the stock of these products at one location (110 feeds the main list, 111 list 2, 112 list 3). */
async function changeStocks(pks: number[], location: string, delta = 3): Promise<void> {
  await env.control('POST', 'stocks', { changes: pks.map((pk) => ({ sku: sku(pk), location, delta })) });
}

async function run(flow: Parameters<StockTestEnv['stockflow']['start']>[0], input: object): Promise<SendFlowSummary> {
  const handle = await env.stockflow.start(flow, { tuning: FAST_TUNING, ...input } as never);
  return (await handle.result()) as SendFlowSummary;
}

/** The newest batch so far: a later run may legitimately re-send what runs up to it delivered. */
const lastBatchPk = () => Math.max(0, ...env.sandbox.state.catalog.batches.all.keys());

/** No batch left open, and no stock committed into two `done` batches since `afterBatchPk`. */
async function expectNothingOpenOrTwice(channelId: number, afterBatchPk: number): Promise<void> {
  expect(await batchCounts(env, channelId)).toMatchObject({ initialized: 0, commit: 0, sent_to_remote: 0, ongoing: 0 });
  expect(pksInSeveralDoneBatches(env.sandbox, channelId, afterBatchPk)).toEqual([]);
}

describe.each(CHANNELS)('$name (channel $channelId, $mode)', ({ channelId, mode, warehouses }) => {
  test('insertProductStocks delivers every listed stock; updateProductStocks then sends exactly the changes', async () => {
    const inserted = await run('insertProductStocks', { channelId });
    expect(inserted).toMatchObject({ stocksSent: SKUS - NEVER_SENT, stocksFailed: NEVER_SENT, batchesFailed: 0 });
    expect(await mismatches(env, channelId)).toEqual([]);
    await expectNothingOpenOrTwice(channelId, 0);

    const changed = range(1, 45).filter((pk) => pk % 50 !== 0);
    await changeStocks(changed, '110');
    const before = lastBatchPk();
    const updated = await run('updateProductStocks', { channelId });
    expect(updated).toMatchObject({ stocksSent: changed.length, stocksFailed: 0, batchesFailed: 0 });
    if (mode === 'async') expect(updated.batchesDone).toBe(updated.pages);
    expect(await mismatches(env, channelId)).toEqual([]);
    await expectNothingOpenOrTwice(channelId, before);
  });

  if (warehouses) {
    test('the extra-stock-list flows send each list to its own warehouse', async () => {
      const inserted = await run('insertProductStocksFromExtraStockList', { channelId });
      // The seeded channel maps the main list and both extra lists to warehouses 1-3.
      expect(inserted).toMatchObject({ targets: 3, batchesFailed: 0 });
      for (const list of [2, 3]) expect(await mismatches(env, channelId, list)).toEqual([]);

      const changed = range(51, 80).filter((pk) => pk % 50 !== 0);
      await changeStocks(changed, '111');
      await changeStocks(changed, '112');
      const before = lastBatchPk();
      const updated = await run('updateProductStocksFromExtraStockList', { channelId });
      expect(updated).toMatchObject({ stocksSent: 2 * changed.length, stocksFailed: 0 });
      for (const list of [1, 2, 3]) expect(await mismatches(env, channelId, list)).toEqual([]);
      await expectNothingOpenOrTwice(channelId, before);
    });
  }

  if (mode === 'async') {
    test('getStockBatchRequests finishes the batches a vanished deployment left at the marketplace', async () => {
      await env.control('PUT', 'marketplace/options', { batchDelayMs: 3_000 });
      await changeStocks(range(51, 99), '110', 2);
      const before = lastBatchPk();
      const flow = await env.stockflow.start('updateProductStocks', {
        channelId,
        tuning: { ...FAST_TUNING, window: 10 },
      });
      await until(
        () => env.stockflow.progress(channelId, 'updateProductStocks'),
        (p) => p.phase === 'awaiting-batches',
      );
      // The old deployment vanishes: its flow and the children awaiting its batches are gone.
      await flow.terminate('deployment removed');
      const open = [...env.sandbox.state.catalog.batches.all.values()].filter(
        (b) => b.channel === channelId && (b.status === 'sent_to_remote' || b.status === 'ongoing'),
      );
      expect(open.length).toBeGreaterThan(0);
      for (const batch of open) {
        await env.temporal.client.workflow
          .getHandle(batchWorkflowId(channelId, batch.pk))
          .terminate('deployment removed')
          .catch(() => undefined); // a child that had just finished its batch is already closed
      }

      const stillOpen = open.filter((b) => b.status === 'sent_to_remote' || b.status === 'ongoing').length;
      expect(stillOpen).toBeGreaterThan(0);
      await env.control('PUT', 'marketplace/options', { batchDelayMs: 150 });
      const check = await env.stockflow.start('getStockBatchRequests', { channelId, tuning: FAST_TUNING });
      const summary = (await check.result()) as BatchRequestsSummary;
      expect(summary).toMatchObject({ found: stillOpen, done: stillOpen, failed: 0, alreadyAwaited: 0 });
      expect(await mismatches(env, channelId)).toEqual([]);
      await expectNothingOpenOrTwice(channelId, before);
    });
  }
});
