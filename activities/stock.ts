/**
 * The stock flows' activities: thin steps over the Omnitron client and the channel adapters, each idempotent by the
 * batch request's status, so a retry after a lost reply (or a worker killed mid-step) never commits a page twice:
 *
 *   commitPage  initialized -> fetch one page, commit it          | commit or later -> report what is committed
 *   sendBatch   commit -> read the stocks back, send, then         | sent_to_remote/ongoing/done -> report that
 *               async: sent_to_remote / sync: results + done
 *   checkBatch  sent_to_remote/ongoing -> ask the channel; finished -> results + done
 *   failBatch   anything open -> fail, with a report
 *
 * Stock records never leave an activity: the workflow gets counts; sendBatch reads the batch's stocks back by pk.
 */
import type { ChannelAdapter, ChannelItem, ItemResult, SendOutcome } from '../src/channels/port';
import type { OmnitronClient } from '../src/omnitron/client';
import type { BatchObject, BatchRequest, ProductStock } from '../src/omnitron/schemas';
import { BatchReporter, type ObjectFailure } from './error-reports';
import { permanent, activityStep } from './failures';
import { recordFinishedBatch } from './metrics';
import type {
  BatchRef,
  CheckBatchResult,
  CommitPageResult,
  FailedAtSend,
  FlowTarget,
  SendBatchResult,
  StockActivities,
  StockKind,
} from './stock-types';

export interface StockActivityDeps {
  omnitron: OmnitronClient;
  /** The Omnitron channels this deployment syncs; each gets workers on its own rate-limited task queue. */
  channelIds: readonly number[];
  /** The configured adapter of an Omnitron channel; throws when the channel has none. */
  channelAdapter(channelId: number): ChannelAdapter;
  /** Held back from every quantity sent to the channel (published = max(0, stock - buffer)); 0 when absent. */
  safetyBuffer?(channelId: number): number;
}

/** What `sendBatch` checkpoints once the channel has answered: ids and verdicts, never the raw exchange. */
type ChannelAnswer = { batchPk: number; outcome: DistributiveOmit<SendOutcome, 'exchanges'> };
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/**
 * A batch still `initialized` after this long was opened by a step whose reply was lost (the worker died between
 * Omnitron's answer and Temporal's); its retry opened another. Planning a flow fails such orphans.
 */
const ORPHAN_AFTER_MS = 10 * 60_000;

/** Omnitron serves product objects and prices in chunks (the Python service's sizes). */
const PRODUCT_CHUNK = 20;
const PRICE_CHUNK = 50;

const OPEN_FOR_SENDING: readonly BatchRequest['status'][] = ['sent_to_remote', 'ongoing'];

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Counts of a finished batch, read back from its objects (the idempotent answer to a repeated call). */
function finishedCounts(batch: BatchRequest): { succeeded: number; failed: number } {
  const failed = batch.objects.filter((o) => o.failed_reason_type).length;
  return { succeeded: batch.status === 'done' ? batch.objects.length - failed : 0, failed };
}

export function createStockActivities(deps: StockActivityDeps): StockActivities {
  const { omnitron } = deps;

  /** A channel stockflow has no adapter for cannot be fixed by retrying. */
  function adapterOf(channelId: number): ChannelAdapter {
    try {
      return deps.channelAdapter(channelId);
    } catch (err) {
      throw permanent('ChannelNotConfigured', err instanceof Error ? err.message : String(err));
    }
  }

  /** The channel's catalogue, WAREHOUSE_CODES and adapter. */
  async function channelSetup(channelId: number) {
    const channel = await omnitron.getChannel(channelId);
    const adapter = adapterOf(channelId);
    if (channel.catalog === null) throw permanent('ChannelWithoutCatalog', `channel ${channelId} has no catalogue`);
    return { channel, adapter, catalog: await omnitron.getCatalog(channel.catalog) };
  }

  /**
   * The channel id of each stock. Inserts: the remote id of its product's successful integration action (a stock whose
   * product never reached the channel cannot be sent). Updates: its own integration action's remote id, falling back
   * to the product's (our choice: the reference names only the first; the second identifies the same listing).
   */
  async function remoteIds(channelId: number, stocks: readonly ProductStock[], kind: StockKind) {
    const byStock = new Map<number, string>();
    if (kind === 'updates') {
      for await (const action of omnitron.iterateIntegrationActions(channelId, {
        content_type_name: 'productstock',
        object_id__in: stocks.map((s) => s.pk),
        limit: 1_000,
      })) {
        if (action.remote_id) byStock.set(action.object_id, action.remote_id);
      }
    }
    const byProduct = new Map<number, string>();
    const needProducts = stocks.filter((s) => !byStock.has(s.pk)).map((s) => s.product);
    if (needProducts.length > 0) {
      for await (const action of omnitron.iterateIntegrationActions(channelId, {
        content_type_name: 'product',
        status: 'success',
        object_id__in: [...new Set(needProducts)],
        limit: 1_000,
      })) {
        if (action.remote_id) byProduct.set(action.object_id, action.remote_id);
      }
    }
    return (stock: ProductStock) => byStock.get(stock.pk) ?? byProduct.get(stock.product);
  }

  /** Builds the channel items of a committed page; stocks that cannot be sent come back as failures. */
  async function channelItems(
    channelId: number,
    kind: StockKind,
    target: FlowTarget,
    stocks: readonly ProductStock[],
    options: { addProductObjects: boolean; addPrice: boolean; priceList: number | null },
  ) {
    const remoteIdOf = await remoteIds(channelId, stocks, kind);
    const productPks = [...new Set(stocks.map((s) => s.product))];
    const skus = new Map<number, string>();
    if (options.addProductObjects) {
      for (const chunk of chunks(productPks, PRODUCT_CHUNK)) {
        for (const product of await omnitron.listProducts(channelId, chunk)) skus.set(product.pk, product.sku);
      }
    }
    const prices = new Map<number, number>();
    if (options.addPrice && options.priceList !== null) {
      for (const chunk of chunks(productPks, PRICE_CHUNK)) {
        for (const price of await omnitron.listExtraProductPrices(channelId, chunk, options.priceList)) {
          prices.set(price.product, Number(price.price));
        }
      }
    }
    const items: (ChannelItem & { pk: number })[] = [];
    const failures: (ObjectFailure & { reason: 'channel_app' })[] = [];
    for (const stock of stocks) {
      const remoteId = remoteIdOf(stock);
      const price = prices.get(stock.product);
      if (!remoteId) {
        const message = kind === 'inserts' ? 'Product has not been sent' : 'Stock has no remote id on the channel';
        failures.push({ pk: stock.pk, message, reason: 'channel_app' });
      } else if (options.addPrice && price === undefined) {
        failures.push({ pk: stock.pk, message: 'PriceNotFound', reason: 'channel_app' });
      } else {
        items.push({
          pk: stock.pk,
          sku: skus.get(stock.product) ?? String(stock.product),
          remoteId,
          quantity: Math.max(0, stock.stock - (deps.safetyBuffer?.(channelId) ?? 0)),
          warehouseCode: target.warehouseCode ?? undefined,
          price,
        });
      }
    }
    return { items, failures };
  }

  /**
   * Finishes a batch from per-item channel results: matched by remote id (what the channel reports back); an object
   * with no result failed "not sent from the channel"; failures become error reports. Returns the counts.
   */
  async function finishWithResults(
    ref: BatchRef,
    batch: BatchRequest,
    pkByRemoteId: Map<string, number[]>,
    results: readonly ItemResult[],
    failedBeforeSend: readonly (ObjectFailure & { reason: BatchObject['failed_reason_type'] })[],
    reporter: BatchReporter,
    reportedAtSend: ReadonlySet<number> = new Set(),
  ) {
    const outcome = new Map<number, BatchObject>();
    const failures: ObjectFailure[] = [];
    for (const f of failedBeforeSend) {
      outcome.set(f.pk, { pk: f.pk, remote_id: null, failed_reason_type: f.reason });
      failures.push(f);
    }
    for (const result of results) {
      for (const pk of pkByRemoteId.get(result.remoteId) ?? []) {
        if (result.status === 'success') {
          outcome.set(pk, { pk, remote_id: result.remoteId, failed_reason_type: null });
        } else {
          outcome.set(pk, { pk, remote_id: result.remoteId, failed_reason_type: 'remote' });
          failures.push({ pk, message: result.message ?? 'failed at the channel' });
        }
      }
    }
    for (const object of batch.objects) {
      if (!outcome.has(object.pk)) {
        outcome.set(object.pk, { pk: object.pk, remote_id: null, failed_reason_type: 'remote' });
        failures.push({ pk: object.pk, message: 'not sent from the channel' });
      }
    }
    await omnitron.markDone(ref.channelId, ref.batchPk, [...outcome.values()]);
    await reporter.objectFailures(failures.filter((f) => !reportedAtSend.has(f.pk)));
    const counts = { succeeded: outcome.size - failures.length, failed: failures.length };
    recordFinishedBatch(ref.channelId, { state: 'done', ...counts });
    return counts;
  }

  async function failOrphanedBatches(channelId: number): Promise<void> {
    const stale = Date.now() - ORPHAN_AFTER_MS;
    const page = await omnitron.listBatches(channelId, {
      status: ['initialized'],
      content_type: 'productstock',
      limit: 100,
    });
    for (const batch of page.results.filter((b) => Date.parse(b.modified_date) < stale)) {
      await omnitron.markFail(channelId, batch.pk);
      await new BatchReporter(omnitron, channelId, batch, true).batchFailure(
        'orphaned: opened by a step whose reply was lost, never committed',
      );
    }
  }

  function indexByRemoteId(items: readonly (ChannelItem & { pk: number })[]): Map<string, number[]> {
    const index = new Map<string, number[]>();
    for (const item of items) index.set(item.remoteId, [...(index.get(item.remoteId) ?? []), item.pk]);
    return index;
  }

  return {
    planFlow: (input) =>
      activityStep(async () => {
        const { channel, adapter, catalog } = await channelSetup(input.channelId);
        const { mode, limits } = adapter.descriptor;
        if (input.isSync !== undefined && input.isSync !== (mode === 'sync')) {
          throw permanent(
            'InvalidInput',
            `isSync: channel ${input.channelId} uses the ${mode === 'sync' ? 'synchronous' : 'asynchronous'} ` +
              `${adapter.descriptor.name} adapter; leave isSync out or set it to ${mode === 'sync'}`,
          );
        }
        await failOrphanedBatches(input.channelId);
        const codes = channel.conf.WAREHOUSE_CODES ?? {};
        const eligible = new Set([catalog.stock_list, ...catalog.extra_stock_lists]);
        const targets: FlowTarget[] =
          input.source === 'main'
            ? [{ stockListId: null, warehouseCode: codes[String(catalog.stock_list)] ?? null }]
            : Object.entries(codes)
                .map(([id, warehouseCode]) => ({ stockListId: Number(id), warehouseCode }))
                .filter((t) => eligible.has(t.stockListId))
                .sort((a, b) => a.stockListId - b.stockListId);
        return { active: channel.is_active, mode, pageSize: limits.itemsPerRequest, targets };
      }),

    openBatch: ({ channelId }) =>
      activityStep(async ({ checkpointed, checkpoint }) => {
        // A retry after the batch was created (its reply lost) takes that batch instead of leaving it an orphan.
        const previous = checkpointed as { batchPk: number } | undefined;
        if (previous && (await omnitron.getBatch(channelId, previous.batchPk)).status === 'initialized') {
          return { batchPk: previous.batchPk };
        }
        const { pk } = await omnitron.createBatch(channelId);
        checkpoint({ batchPk: pk });
        return { batchPk: pk };
      }),

    commitPage: (input) =>
      activityStep(async (): Promise<CommitPageResult> => {
        const batch = await omnitron.getBatch(input.channelId, input.batchPk);
        if (batch.status !== 'initialized') {
          // A retry after the commit went through: answer from the batch, never fetch and commit a second page.
          const n = batch.objects.length;
          return { fetched: n, malformed: 0, committed: n, closed: batch.status === 'done' };
        }
        const page = await omnitron.fetchProductStocks({
          channelId: input.channelId,
          kind: input.kind,
          stockListId: input.target.stockListId ?? undefined,
          limit: input.pageSize,
        });
        // A malformed record with a pk is committed with the rest: sendBatch reads it back by pk and fails it (one
        // report, there), so it ends in a `done` batch and Omnitron stops handing it out until its stock changes.
        // Left out, it came back on every page — a report each time — and a page's worth of them starved the list.
        const keyed = page.malformed.filter((m): m is typeof m & { pk: number } => m.pk !== undefined);
        const unkeyed = page.malformed.filter((m) => m.pk === undefined);
        if (unkeyed.length > 0) {
          const reporter = new BatchReporter(omnitron, input.channelId, batch, input.isSuccessLog);
          await reporter.objectFailures(
            unkeyed.map((m) => ({
              pk: 0,
              message: `malformed product stock from Omnitron (record #${m.index} of the page, no pk): ${m.fields
                .map((f) => `${f.path || '(record)'}: ${f.message}`)
                .join('; ')}`,
            })),
          );
        }
        const objects = [
          ...page.stocks.map((s) => ({ pk: s.pk, version_date: s.modified_date })),
          ...keyed.map((m) => ({ pk: m.pk, version_date: m.versionDate })),
        ];
        if (objects.length === 0) {
          await omnitron.markDone(input.channelId, input.batchPk, []);
          return { fetched: 0, malformed: page.malformed.length, committed: 0, closed: true };
        }
        await omnitron.commitBatch(input.channelId, input.batchPk, objects);
        const remaining = Math.max(0, page.count - page.stocks.length - page.malformed.length);
        return {
          fetched: page.stocks.length,
          malformed: page.malformed.length,
          committed: objects.length,
          remaining,
          closed: false,
        };
      }),

    sendBatch: (input) =>
      activityStep(async ({ checkpointed, checkpoint }): Promise<SendBatchResult> => {
        const batch = await omnitron.getBatch(input.channelId, input.batchPk);
        if (OPEN_FOR_SENDING.includes(batch.status) && batch.remote_batch_id) {
          return { mode: 'async', remoteBatchId: batch.remote_batch_id, sent: batch.objects.length, failed: 0 };
        }
        if (batch.status === 'done' || batch.status === 'fail') return { mode: 'sync', ...finishedCounts(batch) };
        if (batch.status !== 'commit') throw permanent('BatchNotCommitted', `batch ${batch.pk} is ${batch.status}`);

        const { adapter, catalog } = await channelSetup(input.channelId);
        const reporter = new BatchReporter(omnitron, input.channelId, batch, input.isSuccessLog);
        const read = await omnitron.getProductStocks(
          input.channelId,
          batch.objects.map((o) => o.pk),
        );
        const { items, failures } = await channelItems(input.channelId, input.kind, input.target, read.stocks, {
          addProductObjects: input.addProductObjects,
          addPrice: input.addPrice,
          priceList: catalog.price_list,
        });
        const unreadable = read.malformed.map((m) => ({
          pk: m.pk ?? 0,
          message: `malformed product stock from Omnitron: ${m.fields.map((f) => `${f.path}: ${f.message}`).join('; ')}`,
          reason: 'channel_app' as const,
        }));
        const failedBeforeSend = [...failures, ...unreadable];
        const pkByRemoteId = indexByRemoteId(items);
        if (items.length === 0) {
          return {
            mode: 'sync',
            ...(await finishWithResults(input, batch, pkByRemoteId, [], failedBeforeSend, reporter)),
          };
        }
        const command = input.kind === 'updates' ? 'SendUpdatedStocks' : 'SendInsertedStocks';
        // The channel's answer is checkpointed before any Omnitron bookkeeping: if a write after it fails, the retry
        // finishes the bookkeeping from the checkpoint instead of sending the page a second time.
        const previous = checkpointed as ChannelAnswer | undefined;
        let outcome: SendOutcome;
        if (previous?.batchPk === batch.pk) {
          outcome = { ...previous.outcome, exchanges: [] };
        } else {
          outcome =
            input.kind === 'updates'
              ? await adapter.sendUpdatedStocks(items, { sendKey: batch.local_batch_id })
              : await adapter.sendInsertedStocks(items, { sendKey: batch.local_batch_id });
          const { exchanges, ...answer } = outcome;
          checkpoint({ batchPk: batch.pk, outcome: answer } satisfies ChannelAnswer);
          // A retry after a failed write has no raw exchange to report (it stays out of heartbeats): written now.
          await reporter.channelCalls(command, exchanges);
        }
        if (outcome.mode === 'sync') {
          const counts = await finishWithResults(
            input,
            batch,
            pkByRemoteId,
            outcome.results,
            failedBeforeSend,
            reporter,
          );
          return { mode: 'sync', ...counts };
        }
        await omnitron.markSentToRemote(input.channelId, input.batchPk, outcome.remoteBatchId);
        // Items refused before sending and stocks that could not be sent are settled when the batch finishes (they
        // get no result from the channel); report them now, while the reason is known, and tell the check.
        const rejected = outcome.rejected.flatMap((r) =>
          (pkByRemoteId.get(r.remoteId) ?? []).map((pk) => ({
            pk,
            message: r.message ?? 'refused',
            reason: 'remote' as const,
          })),
        );
        const failedAtSend = [...failedBeforeSend, ...rejected];
        await reporter.objectFailures(failedAtSend);
        return {
          mode: 'async',
          remoteBatchId: outcome.remoteBatchId,
          sent: items.length - outcome.rejected.length,
          failed: failedAtSend.length,
          failedAtSend: failedAtSend.map(({ pk, reason }) => ({ pk, reason })),
        };
      }),

    checkBatch: (input) =>
      activityStep(async (): Promise<CheckBatchResult> => {
        const batch = await omnitron.getBatch(input.channelId, input.batchPk);
        if (batch.status === 'done' || batch.status === 'fail') return { state: 'done', ...finishedCounts(batch) };
        const adapter = adapterOf(input.channelId);
        const check = await adapter.checkBatch(input.remoteBatchId);
        const reporter = new BatchReporter(omnitron, input.channelId, batch, input.isSuccessLog);
        if (check.state === 'pending') {
          if (batch.status === 'sent_to_remote') await omnitron.markOngoing(input.channelId, input.batchPk);
          return { state: 'pending' };
        }
        await reporter.channelCalls('CheckStocks', check.exchanges);
        if (check.state === 'expired') {
          // The channel forgot the batch (Trendyol keeps results 4 h): it can never finish. Failing it returns its
          // stocks to Omnitron, which hands them out again.
          await omnitron.markFail(input.channelId, input.batchPk);
          recordFinishedBatch(input.channelId, { state: 'failed' });
          await reporter.batchFailure(check.reason);
          return { state: 'failed', reason: check.reason };
        }
        const read = await omnitron.getProductStocks(
          input.channelId,
          batch.objects.map((o) => o.pk),
        );
        const remoteIdOf = await remoteIds(input.channelId, read.stocks, 'updates');
        const pkByRemoteId = new Map<string, number[]>();
        // Failed at send: reported then, settled now with their reason (by pk, so nothing counts twice).
        const settled = new Map<number, ObjectFailure & { reason: FailedAtSend['reason'] }>(
          (input.failedAtSend ?? []).map(({ pk, reason }) => [pk, { pk, reason, message: 'failed when sent' }]),
        );
        for (const stock of read.stocks) {
          if (settled.has(stock.pk)) continue;
          const remoteId = remoteIdOf(stock);
          if (remoteId) pkByRemoteId.set(remoteId, [...(pkByRemoteId.get(remoteId) ?? []), stock.pk]);
          else settled.set(stock.pk, { pk: stock.pk, message: 'no remote id on the channel', reason: 'channel_app' });
        }
        // Stocks that could not be sent were reported when the batch was sent; objects the channel gives no result
        // for fail "not sent from the channel".
        const counts = await finishWithResults(
          input,
          batch,
          pkByRemoteId,
          check.results,
          [...settled.values()],
          reporter,
          new Set(settled.keys()),
        );
        return { state: 'done', ...counts };
      }),

    failBatch: (input) =>
      activityStep(async () => {
        const batch = await omnitron.getBatch(input.channelId, input.batchPk);
        if (batch.status === 'done' || batch.status === 'fail') return;
        await omnitron.markFail(input.channelId, input.batchPk);
        recordFinishedBatch(input.channelId, { state: 'failed' });
        await new BatchReporter(omnitron, input.channelId, batch, true).batchFailure(input.reason);
      }),

    listOpenBatches: ({ channelId, limit }) =>
      activityStep(async () => {
        const page = await omnitron.listBatches(channelId, {
          status: OPEN_FOR_SENDING,
          content_type: 'productstock',
          limit,
        });
        return page.results
          .filter((b) => b.remote_batch_id)
          .map((b) => ({ batchPk: b.pk, remoteBatchId: b.remote_batch_id as string }));
      }),
  };
}
