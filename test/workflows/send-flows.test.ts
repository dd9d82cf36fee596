/**
 * The four send flows end to end on the dev server, against the sandbox over loopback: the async Trendyol channel (1)
 * and the sync Shopify channel (2). After each run the marketplace must hold exactly Omnitron's stock for every SKU of
 * the channel, every batch must be finished, and the error reports must follow the is_success_log rule.
 */
import type { DryRunSummary } from '../../workflows/dry-run';
import type { SendFlowSummary } from '../../workflows/send-flows';
import { batchCounts, FAST_TUNING, mismatches, startStockTestEnv, type StockTestEnv } from '../support/stock-env';

const SKUS = 200;
let env: StockTestEnv;
beforeAll(async () => {
  env = await startStockTestEnv({
    skus: SKUS,
    limits: { itemsPerRequest: 40 },
    sandbox: { marketplace: { batchDelayMs: 150 } },
  });
});
afterAll(async () => {
  await env?.close();
});

const reports = (channel: number) => env.sandbox.state.catalog.reports.all.filter((r) => r.channel === channel);
/** Products the sandbox never sent to the channels (every 50th): their inserts fail "Product has not been sent". */
const NEVER_SENT = Math.floor(SKUS / 50);

const sku = (pk: number) => `SF${String(pk).padStart(7, '0')}`;
/** Raises the stock of these products at one location (110 feeds the main list, 111 list 2, 112 list 3). */
async function changeStocks(pks: number[], location: string, delta = 3): Promise<void> {
  await env.control('POST', 'stocks', { changes: pks.map((pk) => ({ sku: sku(pk), location, delta })) });
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function run(flow: Parameters<StockTestEnv['stockflow']['start']>[0], input: object): Promise<SendFlowSummary> {
  const handle = await env.stockflow.start(flow, { channelId: 0, ...input } as never);
  return (await handle.result()) as SendFlowSummary;
}

/**
 * Without success logging only failures are reported, each once; a missing price fails its stock "PriceNotFound" (an
 * async batch settles such stocks when the channel finishes, without reporting them again).
 */
async function expectPriceNotFoundReportedOnce(channelId: number): Promise<void> {
  const changedPks = range(1, 120);
  await changeStocks(changedPks, '110');
  const reportsBefore = reports(channelId).length;
  const summary = await run('updateProductStocks', {
    channelId,
    isSuccessLog: false,
    addPrice: true,
    addProductObjects: true,
    tuning: FAST_TUNING,
  });
  // Every 37th product has no price in the seeded price list (every 50th was never on the channel).
  const withoutPrice = changedPks.filter((pk) => pk % 37 === 0 && pk % 50 !== 0);
  expect(summary.stocksFailed).toBe(withoutPrice.length);
  const newReports = reports(channelId).slice(reportsBefore);
  expect(newReports.length).toBeGreaterThan(0); // so that `every` below is not vacuously true
  expect(newReports.every((r) => !r.is_ok)).toBe(true);
  // Only these reports: an async batch settles such stocks when the channel finishes, without a second report.
  expect(newReports.map((r) => r.error_desc)).toEqual(Array(withoutPrice.length).fill('PriceNotFound'));
  const failedObjects = [...env.sandbox.state.catalog.batches.all.values()]
    .filter((b) => b.channel === channelId && b.status === 'done')
    .flatMap((b) => b.objects.filter((o) => withoutPrice.includes(o.pk) && o.failed_reason_type));
  expect(failedObjects.slice(-withoutPrice.length).map((o) => o.failed_reason_type)).toEqual(
    Array(withoutPrice.length).fill('channel_app'),
  );
  const wrong = (await mismatches(env, channelId))
    .map((w) => Number(w.sku.slice(2)))
    .filter((pk) => changedPks.includes(pk));
  expect(wrong.sort((a, b) => a - b)).toEqual(withoutPrice.sort((a, b) => a - b));
}

describe('async channel (Trendyol)', () => {
  test('insertProductStocks delivers every stock, page after page, with a report per call and per failure', async () => {
    // First a dry run: it pages through the whole list (two pages per run, so across continue-as-new), resolves it,
    // and commits, sends and reports nothing.
    const before = {
      batches: env.sandbox.state.catalog.batches.all.size,
      reports: env.sandbox.state.catalog.reports.all.length,
      market: env.sandbox.state.marketplace.stats().requests,
    };
    const dry = (await (
      await env.stockflow.start('insertProductStocks', {
        channelId: 1,
        dryRun: true,
        tuning: { ...FAST_TUNING, pagesPerRun: 2 },
      })
    ).result()) as unknown as DryRunSummary;
    expect(dry).toMatchObject({
      dryRun: true,
      pages: Math.ceil(SKUS / 40),
      fetched: SKUS,
      wouldSend: SKUS - NEVER_SENT,
      wouldFail: { 'Product has not been sent': NEVER_SENT },
      runs: Math.ceil(Math.ceil(SKUS / 40) / 2), // two pages a run: the counts carried over continue-as-new
    });
    expect(dry.examples.send).toHaveLength(10);
    expect(dry.examples.send[0]).toMatchObject({ remoteId: expect.any(String), quantity: expect.any(Number) });
    expect(dry.examples.fail).toHaveLength(NEVER_SENT);
    expect({
      batches: env.sandbox.state.catalog.batches.all.size,
      reports: env.sandbox.state.catalog.reports.all.length,
      market: env.sandbox.state.marketplace.stats().requests,
    }).toEqual(before);

    const summary = await run('insertProductStocks', { channelId: 1, tuning: FAST_TUNING });
    // The run does what the dry run said.
    expect(summary.stocksSent).toBe(dry.wouldSend);
    expect(summary).toMatchObject({
      stocksSent: SKUS - NEVER_SENT,
      stocksFailed: NEVER_SENT,
      pages: Math.ceil(SKUS / 40),
      pagesFailed: 0,
      batchesFailed: 0,
    });
    expect(summary.batchesDone).toBe(summary.pages);
    expect(await mismatches(env, 1)).toEqual([]);
    expect(await batchCounts(env, 1)).toMatchObject({ initialized: 0, commit: 0, sent_to_remote: 0, ongoing: 0 });

    // is_success_log on: one ok report per send and per finished check; one failure report per unsent product.
    const ok = reports(1).filter((r) => r.is_ok);
    expect(ok.filter((r) => r.error_code.includes('-Channel-SendInsertedStocks-'))).toHaveLength(summary.pages);
    expect(ok.filter((r) => r.error_code.includes('-Channel-CheckStocks-'))).toHaveLength(summary.pages);
    const failures = reports(1).filter((r) => !r.is_ok);
    expect(failures.map((r) => r.error_desc)).toEqual(Array(NEVER_SENT).fill('Product has not been sent'));
  });

  test('each activity carries a one-line summary for the Web UI, and no batch needs a child', async () => {
    const history = await env.temporal.client.workflow.getHandle('stock/1/insertProductStocks').fetchHistory();
    const summaries = (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes || e.startChildWorkflowExecutionInitiatedEventAttributes)
      .map((e) => JSON.parse(Buffer.from(e.userMetadata?.summary?.data ?? []).toString()) as string);
    expect(summaries.length).toBeGreaterThan(0);
    const required = [
      /^plan the main stock lists of channel 1$/,
      /^open a batch for channel 1$/,
      /^send a page of inserts \(main list\) in batch \d+ to channel 1$/,
    ];
    // Checks ride on the next page; a checkBatches activity runs only when the window is full or the list is done.
    const optional = [/^ask channel 1 about batches \d+(, \d+)*$/];
    for (const summary of summaries) expect([...required, ...optional].some((p) => p.test(summary))).toBe(true);
    for (const pattern of required) expect(summaries.some((s) => pattern.test(s))).toBe(true);
    // The flow awaits its batches itself: no child per batch.
    expect(history.events?.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toBe(false);
  });

  test('updateProductStocks sends exactly the changed stocks', async () => {
    await env.control('POST', 'stocks', { random: { count: 60, seed: 7 } });
    const before = (await mismatches(env, 1)).length;
    expect(before).toBeGreaterThan(0);
    const summary = await run('updateProductStocks', { channelId: 1, tuning: FAST_TUNING });
    expect(summary.stocksSent).toBe(before);
    expect(summary.stocksFailed).toBe(0);
    expect(await mismatches(env, 1)).toEqual([]);
  });

  test('the extra-stock-list flows run once per mapped stock list, each with its own batches', async () => {
    const summary = await run('insertProductStocksFromExtraStockList', { channelId: 1, tuning: FAST_TUNING });
    // Channel 1 maps stock lists 2 and 3 (WAREHOUSE_CODES); Trendyol has no warehouses, so the list sent last wins.
    expect(summary.targets).toBe(2);
    expect(summary.stocksSent).toBe(2 * (SKUS - NEVER_SENT));
    expect(await mismatches(env, 1, 3)).toEqual([]);

    // Only list 3's location changes: list 2 has nothing to send, list 3 sends exactly the changed stocks.
    const changed = range(101, 140).filter((pk) => pk % 50 !== 0);
    await changeStocks(changed, '112');
    const update = await run('updateProductStocksFromExtraStockList', { channelId: 1, tuning: FAST_TUNING });
    expect(update).toMatchObject({ targets: 2, stocksSent: changed.length, stocksFailed: 0, batchesFailed: 0 });
    expect(await mismatches(env, 1, 3)).toEqual([]);
    expect(await batchCounts(env, 1)).toMatchObject({ initialized: 0, commit: 0, sent_to_remote: 0, ongoing: 0 });
  });

  test('without success logging only failures are reported, once, also when the batch settles later', () =>
    expectPriceNotFoundReportedOnce(1));
});

describe('sync channel (Shopify)', () => {
  test('insertProductStocks processes results at once and marks every batch done', async () => {
    const summary = await run('insertProductStocks', { channelId: 2 });
    expect(summary).toMatchObject({ stocksSent: SKUS - NEVER_SENT, stocksFailed: NEVER_SENT, batchesFailed: 0 });
    expect(await mismatches(env, 2)).toEqual([]);
    // One batch per page, plus the one that found the list empty and was closed `done` without objects.
    expect(await batchCounts(env, 2)).toMatchObject({
      initialized: 0,
      commit: 0,
      sent_to_remote: 0,
      ongoing: 0,
      fail: 0,
      done: summary.pages + 1,
    });
  });

  test('without success logging only failures are reported, once; a missing price fails "PriceNotFound"', () =>
    expectPriceNotFoundReportedOnce(2));

  test('the extra-stock-list flows send each list to its own location', async () => {
    const summary = await run('insertProductStocksFromExtraStockList', { channelId: 2 });
    // Channel 2 maps the main list and both extra lists to Shopify locations 1-3.
    expect(summary.targets).toBe(3);
    expect(summary.batchesFailed).toBe(0);
    for (const list of [2, 3]) expect(await mismatches(env, 2, list)).toEqual([]);

    const changed = range(1, 60).filter((pk) => pk % 50 !== 0);
    await changeStocks(changed, '111');
    await changeStocks(changed, '112');
    const update = await run('updateProductStocksFromExtraStockList', { channelId: 2 });
    expect(update).toMatchObject({ stocksSent: 2 * changed.length, stocksFailed: 0 });
    for (const list of [2, 3]) expect(await mismatches(env, 2, list)).toEqual([]);
  });
});
