/**
 * The flows against the real systems' rules, end to end on the sandbox: a batch someone else left in `commit` (the
 * flow waits and says which, then goes on; a stale one is failed with a report), the channel's
 * `conf.remote_id_attribute` naming the product attribute that identifies it on the channel, and a Trendyol batch
 * whose result expired (kept 4 hours) ending `fail` with its stocks back to Omnitron instead of looping.
 */
import type { SendFlowSummary } from '../../workflows/send-flows';
import { batchCounts, FAST_TUNING, mismatches, startStockTestEnv, type StockTestEnv } from '../support/stock-env';

/** Every 50th seeded product was never sent to the channels: 2 of 100. */
const SKUS = 100;
const UNSENT = 2;
const PAGE = 40;

/** Leaves a batch of channel `channelId` in `commit` the way another process would, last touched `ageMs` ago. */
function leaveInCommit(env: StockTestEnv, channelId: number, ageMs: number): number {
  const { batches, stocks } = env.sandbox.state.catalog;
  const batch = batches.create(channelId, null);
  const [stock] = stocks.page(channelId, 0, 'inserts', 0, 1).results;
  if (!stock) throw new Error('no insert to commit');
  batches.update(channelId, batch.pk, {
    status: 'commit',
    content_type: 'productstock',
    objects: [{ pk: stock.pk, version_date: stock.modified_date }],
  });
  batch.modified_date = new Date(Date.now() - ageMs).toISOString();
  return batch.pk;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a batch left in commit by another process', () => {
  let env: StockTestEnv;
  beforeAll(async () => {
    env = await startStockTestEnv({ skus: SKUS, limits: { itemsPerRequest: PAGE } });
  });
  afterAll(() => env?.close());

  test('a live one: the flow waits and names it; once it is finished the flow goes on and delivers everything', async () => {
    const holder = leaveInCommit(env, 2, 2 * 60_000);
    const handle = await env.stockflow.start('insertProductStocks', { channelId: 2, tuning: FAST_TUNING });
    const blocked = await waitFor('the flow to say what it waits for', async () => {
      const progress = await env.stockflow.progress(2, 'insertProductStocks');
      return progress.blockedBy ?? undefined;
    });
    expect(blocked.batchPk).toBe(holder);
    expect(Date.parse(blocked.since ?? '')).toBeLessThan(Date.now() - 60_000);
    // Nothing was committed past it, and the holder is untouched.
    expect(env.sandbox.state.catalog.batches.get(2, holder).status).toBe('commit');
    expect((await env.stockflow.progress(2, 'insertProductStocks')).stocksTaken).toBe(0);

    // The other process finishes its batch: the flow takes the channel over.
    env.sandbox.state.catalog.batches.update(2, holder, { status: 'fail' });
    const summary = (await handle.result()) as SendFlowSummary;
    expect(summary.pagesFailed).toBe(0);
    expect(summary).toMatchObject({ stocksSent: SKUS - UNSENT, stocksFailed: UNSENT });
    expect(await mismatches(env, 2)).toEqual([]);
    expect(await batchCounts(env, 2)).toMatchObject({ commit: 0, initialized: 0 });
  }, 120_000);

  test('a stale one is failed with a report saying why; its stock returns and is delivered by the run', async () => {
    const holder = leaveInCommit(env, 1, 31 * 60_000);
    const summary = (await (
      await env.stockflow.start('insertProductStocks', { channelId: 1, tuning: FAST_TUNING })
    ).result()) as SendFlowSummary;
    expect(summary).toMatchObject({ pagesFailed: 0, stocksSent: SKUS - UNSENT, stocksFailed: UNSENT });
    expect(await mismatches(env, 1)).toEqual([]);
    const { batches, reports } = env.sandbox.state.catalog;
    expect(batches.get(1, holder).status).toBe('fail');
    const why = reports.all.filter((r) => r.action_object_id === holder && !r.is_ok);
    expect(why.map((r) => r.error_desc)).toEqual([expect.stringMatching(/^stale: left in commit for 31 minutes/)]);
    expect(await batchCounts(env, 1)).toMatchObject({ commit: 0, initialized: 0 });
  }, 120_000);
});

describe("the channel's remote_id_attribute", () => {
  // Channel 1's product integration actions hold Trendyol content ids, not barcodes: only the attribute tells them.
  const seed = { trendyolRemoteIds: 'content-id' };

  test('names the product attribute that identifies it at the channel: sent and matched by it', async () => {
    const env = await startStockTestEnv({
      skus: SKUS,
      limits: { itemsPerRequest: PAGE },
      seed: { ...seed, trendyolRemoteIdAttribute: 'attributes__barcode' },
    });
    try {
      const summary = (await (
        await env.stockflow.start('insertProductStocks', { channelId: 1, tuning: FAST_TUNING })
      ).result()) as SendFlowSummary;
      // Every 50th product was never sent to the channel: those fail, the rest arrive under their barcodes.
      expect(summary).toMatchObject({ stocksSent: SKUS - UNSENT, stocksFailed: UNSENT });
      expect(await mismatches(env, 1)).toEqual([]);
      const done = [...env.sandbox.state.catalog.batches.all.values()].filter((b) => b.status === 'done');
      const remoteIds = done.flatMap((b) => b.objects.map((o) => o.remote_id)).filter((id) => id !== null);
      expect(remoteIds.length).toBeGreaterThan(0);
      for (const id of remoteIds) expect(id).toMatch(/^SF\d{7}$/);
    } finally {
      await env.close();
    }
  }, 120_000);

  test('negative control: without it the content ids go out as barcodes and Trendyol fails every item', async () => {
    const env = await startStockTestEnv({ skus: SKUS, limits: { itemsPerRequest: PAGE }, seed });
    try {
      const summary = (await (
        await env.stockflow.start('insertProductStocks', { channelId: 1, tuning: FAST_TUNING })
      ).result()) as SendFlowSummary;
      expect(summary.stocksSent).toBe(0);
      expect(summary.stocksFailed).toBe(SKUS);
    } finally {
      await env.close();
    }
  }, 120_000);
});

test('a Trendyol batch checked after its result expired ends fail with a report; its stocks return, nothing loops', async () => {
  const env = await startStockTestEnv({
    skus: SKUS,
    limits: { itemsPerRequest: PAGE },
    sandbox: { marketplace: { batchDelayMs: 50, trendyolResultRetentionMs: 200 } },
  });
  try {
    // The first check comes after the result is gone.
    const tuning = { ...FAST_TUNING, pollInitial: '1s' };
    const summary = (await (
      await env.stockflow.start('insertProductStocks', { channelId: 1, tuning })
    ).result()) as SendFlowSummary;
    expect(summary.stocksSent).toBe(0);
    expect(summary.batchesFailed).toBe(Math.ceil(SKUS / PAGE));
    const { batches, reports } = env.sandbox.state.catalog;
    const failed = [...batches.all.values()].filter((b) => b.status === 'fail');
    expect(failed).toHaveLength(summary.batchesFailed);
    for (const batch of failed) {
      const why = reports.all.filter((r) => r.action_object_id === batch.pk && /no longer knows/.test(r.error_desc));
      expect(why).toHaveLength(1);
    }
    // Their stocks are handed out again: a run with Trendyol keeping results delivers them.
    env.sandbox.state.marketplace.setOptions({ trendyolResultRetentionMs: 4 * 3_600_000 });
    const again = (await (
      await env.stockflow.start('insertProductStocks', { channelId: 1, tuning: FAST_TUNING })
    ).result()) as SendFlowSummary;
    expect(again.stocksSent).toBe(SKUS - UNSENT);
    expect(await mismatches(env, 1)).toEqual([]);
  } finally {
    await env.close();
  }
}, 120_000);

test("a quantity above the channel's maximum is capped at it, never sent as it is", async () => {
  const env = await startStockTestEnv({ skus: 10, limits: { itemsPerRequest: 5 } });
  try {
    // Main list = locations 110 and 113: 25,000 + whatever 113 holds, well above Trendyol's 20,000.
    await env.control('POST', 'stocks', { changes: [{ sku: 'SF0000003', location: '110', stock: 25_000 }] });
    const summary = (await (
      await env.stockflow.start('insertProductStocks', { channelId: 1, tuning: FAST_TUNING })
    ).result()) as SendFlowSummary;
    expect(summary).toMatchObject({ stocksSent: 10, stocksFailed: 0 });
    const rows = await mismatches(env, 1);
    expect(rows).toEqual([{ sku: 'SF0000003', expected: expect.any(Number), held: 20_000 }]);
    expect(rows[0]?.expected).toBeGreaterThan(25_000 - 1);
    expect(env.sandbox.state.marketplace.stats().itemFailures).toBe(0);
  } finally {
    await env.close();
  }
}, 60_000);
