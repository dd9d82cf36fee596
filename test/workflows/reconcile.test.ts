/**
 * reconcileChannelStock against the sandbox: drift injected at both marketplaces is found exactly (and nothing on a
 * clean channel), repair sends the expected quantities and a second reconcile finds none, a failed read counts as
 * `unknown`, never as `match`.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createReconcileActivities } from '../../activities/reconcile';
import { createStockActivities } from '../../activities/stock';
import type { ReconcileSummary } from '../../workflows/reconcile';
import { sandboxStockDeps } from '../../src/sandbox/connect';
import { reconcileReports } from '../support/channel-checks';
import { FAST_TUNING, mismatches, startStockTestEnv, type StockTestEnv } from '../support/stock-env';

const SKUS = 130;
let env: StockTestEnv;

beforeAll(async () => {
  // Reads of 20: a list takes several chunks and crosses the stock API's pages of 100; sends of 15, fewer than a read.
  env = await startStockTestEnv({ skus: SKUS, limits: { itemsPerRequest: 15, readItemsPerRequest: 20 } });
  // Every listed product on the channels with its stock: Trendyol's main list, Shopify's every list.
  await (await env.stockflow.start('insertProductStocks', { channelId: 1, tuning: FAST_TUNING })).result();
  await (await env.stockflow.start('insertProductStocks', { channelId: 2, tuning: FAST_TUNING })).result();
  await (
    await env.stockflow.start('insertProductStocksFromExtraStockList', { channelId: 2, tuning: FAST_TUNING })
  ).result();
}, 120_000);
afterAll(async () => {
  await env?.close();
});

async function reconcile(
  channelId: number,
  options: { repair?: boolean; stockListId?: number; readAttempts?: number; dryRun?: boolean } = {},
) {
  const { readAttempts, ...rest } = options;
  const tuning = { ...FAST_TUNING, ...(readAttempts ? { readAttempts } : {}) };
  const handle = await env.stockflow.start('reconcileChannelStock', { channelId, ...rest, tuning });
  return (await handle.result()) as ReconcileSummary;
}

/** The SKUs this reconcile reported (one report per SKU and list, or it throws). */
const reported = (summary: ReconcileSummary) =>
  reconcileReports(env.sandbox.urls, summary.channelId, summary.reportPrefix);

type Drifted = { drifted: { sku: string; was: number | null; held: number | null }[] };

test('a clean channel: every listed SKU compared, all match, nothing reported', async () => {
  for (const channelId of [1, 2]) {
    expect(await mismatches(env, channelId)).toEqual([]);
    const summary = await reconcile(channelId);
    expect(summary).toMatchObject({ drift: 0, missing: 0, unknown: 0 });
    expect(summary.match).toBeGreaterThan(0);
    expect(summary.match + summary.notListed).toBe(summary.compared);
    // Trendyol holds one quantity per item (the main list only); Shopify a level per location (every list).
    expect(summary.targets).toBe(channelId === 1 ? 1 : 3);
    // The stock API's pages of 100, each list read to its end.
    expect((await env.stockflow.reconcileProgress(channelId)).pages).toBe(Math.ceil(SKUS / 100) * summary.targets);
    expect((await reported(summary)).size).toBe(0);
  }
});

test('drift at both marketplaces is found exactly, repaired, and gone on the next reconcile', async () => {
  for (const channelId of [1, 2]) {
    const expected = await env.control<{ quantities: Record<string, number> }>(
      'GET',
      `channels/${channelId}/expected?stock_list=1`,
    );
    const [zeroed, raised, removed] = Object.entries(expected.quantities)
      .filter(([, q]) => q > 0)
      .map(([sku]) => sku);
    const explicit = await env.control<Drifted>('POST', `channels/${channelId}/drift`, {
      skus: [
        { sku: zeroed, quantity: 0 },
        { sku: raised, quantity: (expected.quantities[raised!] ?? 0) + 7 },
        { sku: removed, quantity: null },
      ],
    });
    const random = await env.control<Drifted>('POST', `channels/${channelId}/drift`, { random: { count: 6, seed: 3 } });
    const wrong = new Map<string, number | null>();
    for (const d of [...explicit.drifted, ...random.drifted]) wrong.set(d.sku, d.held);
    // A random pick may land on an explicit SKU, or move it back onto its expected quantity.
    for (const [sku, held] of wrong) if (held === expected.quantities[sku]) wrong.delete(sku);

    const found = await reported(await reconcile(channelId, { stockListId: 1 }));
    expect([...found.keys()].sort()).toEqual([...wrong.keys()].map((sku) => `1:${sku}`).sort());
    for (const [sku, held] of wrong) {
      expect(found.get(`1:${sku}`)).toMatchObject({ held, expected: expected.quantities[sku] });
    }

    const repaired = await reconcile(channelId, { stockListId: 1, repair: true });
    const missing = [...wrong.values()].filter((held) => held === null).length;
    expect(repaired).toMatchObject({ missing, repaired: wrong.size - missing, repairFailed: 0, changed: 0 });
    expect(repaired.stillDrifted).toBe(0);
    expect(repaired.confirmed).toBe(wrong.size - missing);

    // Only the item the channel no longer has is still wrong (nothing can send to an item that is gone).
    const after = await reconcile(channelId, { stockListId: 1 });
    expect(after).toMatchObject({ drift: 0, missing });
    // Each reconcile's reports are its own, even for runs started within the same minute.
    expect(after.reportPrefix).not.toBe(repaired.reportPrefix);
    expect((await mismatches(env, channelId)).map((m) => m.sku).sort()).toEqual(
      [...wrong].filter(([, held]) => held === null).map(([sku]) => sku),
    );
  }
}, 180_000);

test('a chunk with more drift than one send takes is repaired in batches of the send limit', async () => {
  const channelId = 1;
  const expected = await env.control<{ quantities: Record<string, number> }>(
    'GET',
    `channels/${channelId}/expected?stock_list=1`,
  );
  // Left wrong by the tests before (an item the channel no longer has): not drifted here, and still wrong at the end.
  const wrongBefore = await mismatches(env, channelId);
  // Every other listed SKU held one too many: each chunk of 20 reads has 20 to repair, a send takes 15.
  const skus = Object.entries(expected.quantities)
    .filter(([sku]) => !wrongBefore.some((m) => m.sku === sku))
    .map(([sku, quantity]) => ({ sku, quantity: quantity + 1 }));
  expect(skus.length).toBeGreaterThan(20);
  await env.control('POST', `channels/${channelId}/drift`, { skus });
  const repaired = await reconcile(channelId, { stockListId: 1, repair: true });
  expect(repaired).toMatchObject({ drift: skus.length, repaired: skus.length, repairFailed: 0, stillDrifted: 0 });
  expect(await mismatches(env, channelId)).toEqual(wrongBefore);
}, 180_000);

test('a stock that changed after it was read is not repaired with the old quantity: counted changed, left to the update flow', async () => {
  const deps = sandboxStockDeps(env.sandbox.urls);
  const activities = createReconcileActivities(deps);
  const stock = createStockActivities(deps);
  const mock = new MockActivityEnvironment();
  const inActivity = <R>(step: () => Promise<R>) => mock.run(step) as Promise<R>;
  const expectedOf = async () =>
    (await env.control<{ quantities: Record<string, number> }>('GET', 'channels/2/expected?stock_list=1')).quantities;
  const before = await expectedOf();
  // Left wrong by the tests before (an item the channel no longer has): not picked, and still wrong at the end.
  const wrongBefore = await mismatches(env, 2);
  const [moving, still] = Object.keys(before).filter((sku) => !wrongBefore.some((m) => m.sku === sku));
  await env.control('POST', 'channels/2/drift', {
    skus: [
      { sku: moving, quantity: 33 },
      { sku: still, quantity: 34 },
    ],
  });
  const target = { stockListId: 1, main: true, warehouseCode: 'gid://shopify/Location/1' };
  const chunk = await inActivity(() =>
    activities.reconcileChunk({
      channelId: 2,
      target,
      span: { page: 1, offset: 0, pages: 1 },
      runKey: 'changed1',
      repair: true,
      readChannel: true,
    }),
  );
  expect(chunk.counts.drift).toBe(2);
  // The findings: the two drifted SKUs, and the item the tests before left missing (held null, never repaired).
  expect(
    chunk.findings
      .filter((f) => f.held !== null)
      .map((f) => f.sku)
      .sort(),
  ).toEqual([moving, still].sort());
  expect(chunk.findings.filter((f) => f.held === null).map((f) => f.sku)).toEqual(wrongBefore.map((m) => m.sku));
  const { repairs } = await inActivity(() =>
    activities.reportChunk({
      channelId: 2,
      target,
      span: { page: 1, offset: 0, pages: 1 },
      runKey: 'changed1',
      repair: true,
      findings: chunk.findings,
      safetyBuffer: chunk.safetyBuffer,
    }),
  );
  expect(repairs).toHaveLength(2);
  // Between the read and the repair, the stock of one SKU moves in Omnitron.
  await env.control('POST', 'stocks', { changes: [{ sku: moving, delta: 3 }] });
  const after = await expectedOf();
  expect(after[moving ?? '']).not.toBe(before[moving ?? '']);

  const { batchPk } = await inActivity(() => stock.openBatch({ channelId: 2 }));
  expect(await inActivity(() => activities.commitRepairs({ channelId: 2, batchPk, repairs }))).toEqual({
    committed: 1,
    changed: 1,
  });
  await inActivity(() =>
    stock.sendBatch({
      channelId: 2,
      batchPk,
      kind: 'updates',
      target: { stockListId: null, warehouseCode: target.warehouseCode },
      addProductObjects: false,
      addPrice: false,
      isSuccessLog: false,
    }),
  );
  // The unchanged SKU was repaired; the moved one still holds the drifted quantity, never the old stock.
  const bySku = <T extends { sku: string }>(rows: T[]) => [...rows].sort((a, b) => a.sku.localeCompare(b.sku));
  expect(bySku(await mismatches(env, 2))).toEqual(
    bySku([...wrongBefore, { sku: moving ?? '', expected: after[moving ?? ''], held: 33 }]),
  );
  // The update flow sends the new stock.
  await (await env.stockflow.start('updateProductStocks', { channelId: 2, tuning: FAST_TUNING })).result();
  expect(await mismatches(env, 2)).toEqual(wrongBefore);
}, 120_000);

test('a dry run compares only: it names what is wrong, writes no report and repairs nothing', async () => {
  const wrongBefore = await mismatches(env, 1);
  const { drifted } = await env.control<{ drifted: { sku: string }[] }>('POST', 'channels/1/drift', {
    random: { count: 5, seed: 77 },
  });
  const reportsBefore = env.sandbox.state.catalog.reports.all.length;
  const summary = await reconcile(1, { dryRun: true, repair: true });
  expect(summary).toMatchObject({ dryRun: true, repair: false, repaired: 0 });
  // Everything wrong is found (what the tests before left wrong too), and named in the examples.
  expect(summary.drift + summary.missing).toBe(wrongBefore.length + drifted.length);
  expect(summary.examples?.map((f) => f.sku)).toEqual(expect.arrayContaining(drifted.map((d) => d.sku)));
  expect(env.sandbox.state.catalog.reports.all.length).toBe(reportsBefore);
  expect((await mismatches(env, 1)).length).toBe(wrongBefore.length + drifted.length);
  // Put right for the tests after.
  await reconcile(1, { repair: true });
}, 120_000);

test('a channel that cannot be read counts its SKUs unknown, never match', async () => {
  await env.control('PUT', 'faults/marketplace', { errorRate: 1 });
  try {
    const summary = await reconcile(2, { stockListId: 2, readAttempts: 1 });
    expect(summary.unknown).toBeGreaterThan(0);
    expect(summary).toMatchObject({ match: 0, drift: 0 });
    expect(summary.unknown + summary.notListed).toBe(summary.compared);
  } finally {
    await env.control('PUT', 'faults/marketplace', { errorRate: 0 });
  }
}, 120_000);

test('a list the channel does not map is refused naming stockListId; no stock API, no reconcile', async () => {
  const handle = await env.stockflow.start('reconcileChannelStock', { channelId: 1, stockListId: 2 });
  await expect(handle.result()).rejects.toMatchObject({
    cause: { cause: { message: expect.stringContaining('stockListId: 2') } },
  });
  const withoutStockApi = createReconcileActivities({ ...sandboxStockDeps(env.sandbox.urls), whippy: undefined });
  await expect(new MockActivityEnvironment().run(withoutStockApi.planReconcile, { channelId: 1 })).rejects.toThrow(
    /WHIPPY_URL/,
  );
});
