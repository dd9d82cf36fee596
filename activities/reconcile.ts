/**
 * Reconciliation's activities: what the channel holds against what the stock API says it should hold.
 *
 *   planReconcile   the lists to walk (the catalogue's main list and each list WAREHOUSE_CODES maps, or the one named)
 *   reconcileChunk  one span of the stock API's "List Multiple Active Stock" pages (workflows/reconcile-spans.ts), at
 *                   most one channel read's worth of SKUs; their identities (Omnitron's products by SKU, then integration actions or remote_id_attribute);
 *                   ONE read at the channel (it runs on the channel's rate-limited queue); outcomes; a report per
 *                   drifted or missing SKU; with repair, the drifted SKUs' stock pks
 *   commitRepairs   the repair candidates whose stock did not change since the read, committed into a batch; the
 *                   send flows' own sendBatch (and awaitChannelBatch) take it from there
 *   confirmRepairs  a sample of repaired stocks read again at the channel
 *
 * Reports are exactly-once per SKU and reconcile: their error code names the reconcile, the list, where the chunk
 * starts and the SKU, and a retried chunk first lists the codes of its chunk already written and skips those.
 */
import { Context } from '@temporalio/activity';
import type { ChannelAdapter, HeldQuantity } from '../src/channels/port';
import { ClientRequestError, NetworkError, RateLimitedError } from '../src/http/errors';
import type { Product } from '../src/omnitron/schemas';
import type { WhippyStockClient } from '../src/stock-api/client';
import type { ActiveStock } from '../src/stock-api/schemas';
import { attributeAt, type ChannelSettings, productRemoteIds, publishedQuantity } from './channel-items';
import { writeErrorReport } from './error-reports';
import { activityStep, eachUntilFailure, permanent, retryLater } from './failures';
import type {
  ChunkFinding,
  ReconcileActivities,
  ReconcileChunkInput,
  ReconcileChunkResult,
  ReconcileCounts,
  ReconcileSpan,
  ReconcileTarget,
  RepairCandidate,
  ReportChunkResult,
} from './reconcile-types';
import { adapterOf, settingsOf, type StockActivityDeps } from './stock';

/** A few Omnitron calls at a time (drift reports, repair lookups). */
const OMNITRON_CONCURRENCY = 8;

/** What a chunk's attempts keep across retries: failed channel reads, and what the read got (null: given up). */
interface ChunkCheckpoint {
  readFailures: number;
  held?: [string, number | null][] | null;
}

/**
 * What `reportChunk` checkpoints: the SKUs whose report it wrote, the product stock (pk) of each drifted product found
 * so far (null: none), and `complete` when the attempt ended by a failure it saw — the SDK sends those last details
 * with the failure, so the next attempt trusts `written` as it is. Without `complete` (a worker killed, a heartbeat
 * lost, a write that got no answer and may have gone through) the last writes may be missing from it, and the next
 * attempt lists the chunk's reports in Omnitron first. A write answered 5xx counts as not written (choice: Omnitron's
 * DRF answers 5xx before it saves; a rare duplicate report is the cost if not).
 */
interface ReportCheckpoint {
  written?: string[];
  stockPks?: [number, number | null][];
  complete?: boolean;
}

/** One SKU of a chunk: what the stock API says, and what stockflow knows of it on the channel. */
interface ChunkSku {
  sku: string;
  stock: number;
  product?: Product;
  remoteId?: string;
}

export const NO_COUNTS: ReconcileCounts = { compared: 0, match: 0, drift: 0, missing: 0, unknown: 0, notListed: 0 };

/** The error-code prefix of a reconcile's reports (the CLI's `--out` lists them by it). */
export function driftReportPrefix(runKey: string): string {
  return `Reconcile-${runKey}-`;
}

function chunkPrefix(runKey: string, target: ReconcileTarget, span: ReconcileSpan): string {
  return `${driftReportPrefix(runKey)}L${target.stockListId}-P${span.page}.${span.offset}-`;
}

export function createReconcileActivities(deps: StockActivityDeps): ReconcileActivities {
  const { omnitron } = deps;

  function stockApi(): WhippyStockClient {
    if (!deps.whippy) {
      throw permanent('StockApiNotConfigured', 'WHIPPY_URL is not set: reconciliation reads the stock API');
    }
    return deps.whippy;
  }

  async function channelOf(channelId: number) {
    const channel = await omnitron.getChannel(channelId);
    const adapter = adapterOf(deps, channelId);
    return { channel, adapter, settings: settingsOf(deps, channel, adapter) };
  }

  /**
   * The SKUs of a span: its pages from `span.page` (from `span.offset` in the first), at most `limit`. A page past the
   * list's end is none (DRF answers it 404 "Invalid page."); the list ends in the span when its last page (no `next`)
   * was read to its end.
   */
  async function readSpan(target: ReconcileTarget, span: ReconcileSpan, limit: number) {
    const entries: ActiveStock[] = [];
    let pageSize = 0;
    let pagesEnded = 0;
    let end = false;
    for (let i = 0; i < span.pages && entries.length < limit; i++) {
      const page = span.page + i;
      let answer;
      try {
        answer = await stockApi().multipleActiveStocks(target.stockListId, page);
      } catch (err) {
        if (page > 1 && err instanceof ClientRequestError && err.status === 404) {
          end = true;
          break;
        }
        throw err;
      }
      if (i === 0) pageSize = answer.results.length;
      const from = i === 0 ? span.offset : 0;
      const taken = answer.results.slice(from, from + limit - entries.length);
      entries.push(...taken);
      const past = from + taken.length >= answer.results.length;
      // A page is ended by the chunk that takes its last SKU (chunks placed past it take none).
      if (past && (taken.length > 0 || (from === 0 && answer.results.length === 0))) pagesEnded++;
      if (!answer.next) {
        end = past;
        break;
      }
    }
    return { entries, pageSize, pagesEnded, end };
  }

  /** Each SKU's product and channel identity (none: never sent to the channel). */
  async function identify(settings: ChannelSettings, entries: readonly ActiveStock[]): Promise<ChunkSku[]> {
    const products = new Map<string, Product>();
    for (const product of await omnitron.listProductsBySku(settings.channelId, [
      ...new Set(entries.map((e) => e.sku)),
    ])) {
      if (product.sku) products.set(product.sku, product);
    }
    const path = settings.remoteIdAttribute;
    const byProduct = path
      ? new Map<number, string>()
      : await productRemoteIds(
          omnitron,
          settings.channelId,
          [...products.values()].map((p) => p.pk),
        );
    return entries.map((entry) => {
      const product = products.get(entry.sku);
      const remoteId = product && (path ? attributeAt(product, path) : byProduct.get(product.pk));
      return { sku: entry.sku, stock: entry.stock, product, remoteId };
    });
  }

  /** The channel's quantities for the identified SKUs: one request (the queue's rate is one request an activity). */
  async function readChannel(adapter: ChannelAdapter, target: ReconcileTarget, skus: readonly ChunkSku[]) {
    const asked = skus.filter((s) => s.remoteId !== undefined);
    const held: HeldQuantity[] = asked.length
      ? await adapter.readQuantities(
          asked.map((s) => ({ remoteId: s.remoteId ?? '', warehouseCode: target.warehouseCode ?? undefined })),
        )
      : [];
    return new Map(held.map((h) => [h.remoteId, h.quantity]));
  }

  /**
   * The chunk's ONE channel read, checkpointed: a retry after it (an Omnitron call failed) reuses what was read, so
   * only failed reads count towards `readAttempts`; when they are spent, the chunk's SKUs are `unknown` (undefined).
   * A 429 is waited out, never counted.
   */
  async function readOnce(
    adapter: ChannelAdapter,
    input: ReconcileChunkInput,
    skus: readonly ChunkSku[],
    state: ChunkCheckpoint,
    save: (options?: { progress: boolean }) => void,
  ): Promise<Map<string, number | null> | undefined> {
    if (state.held === null) return undefined;
    if (state.held) return new Map(state.held);
    try {
      const held = await readChannel(adapter, input.target, skus);
      state.held = [...held];
      save();
      return held;
    } catch (err) {
      if (err instanceof RateLimitedError) throw err;
      state.readFailures++;
      if (state.readFailures >= (input.readAttempts ?? 5)) {
        state.held = null;
        save();
        return undefined;
      }
      save({ progress: false }); // a failed read is counted, not progress: the retry backs off
      throw err;
    }
  }

  return {
    planReconcile: ({ channelId, stockListId }) =>
      activityStep(async () => {
        stockApi();
        const { channel, adapter } = await channelOf(channelId);
        if (channel.catalog === null) throw permanent('ChannelWithoutCatalog', `channel ${channelId} has no catalogue`);
        const catalog = await omnitron.getCatalog(channel.catalog);
        const codes = channel.conf.WAREHOUSE_CODES ?? {};
        const main = catalog.stock_list;
        // A channel without warehouses holds one quantity per item: it is compared with the main list only.
        const extra = adapter.descriptor.hasWarehouses ? Object.entries(codes) : [];
        const targets: ReconcileTarget[] = [
          ...(main === null ? [] : [{ stockListId: main, main: true, warehouseCode: codes[String(main)] ?? null }]),
          ...extra
            .map(([id, warehouseCode]) => ({ stockListId: Number(id), main: false, warehouseCode }))
            .filter((t) => t.stockListId !== main && catalog.extra_stock_lists.includes(t.stockListId))
            .sort((a, b) => a.stockListId - b.stockListId),
        ];
        const chosen = stockListId === undefined ? targets : targets.filter((t) => t.stockListId === stockListId);
        if (stockListId !== undefined && chosen.length === 0) {
          throw permanent(
            'InvalidInput',
            `stockListId: ${stockListId} is neither channel ${channelId}'s main stock list nor one WAREHOUSE_CODES ` +
              `maps to a warehouse of its ${adapter.descriptor.name} adapter ` +
              `(lists: ${targets.map((t) => t.stockListId).join(', ') || 'none'})`,
          );
        }
        return {
          active: channel.is_active,
          mode: adapter.descriptor.mode,
          targets: chosen,
          repairsPerBatch: adapter.descriptor.limits.itemsPerRequest,
          readsPerRequest: adapter.descriptor.limits.readItemsPerRequest,
        };
      }),

    reconcileChunk: (input) =>
      activityStep(async ({ checkpointed, checkpoint }): Promise<ReconcileChunkResult> => {
        // What earlier attempts of this chunk did (the channel's answer, stocks found for repair) is reused.
        const state: ChunkCheckpoint = { readFailures: 0, ...(checkpointed as ChunkCheckpoint | undefined) };
        const save = (options?: { progress: boolean }) => checkpoint({ ...state }, options);
        const { adapter, settings } = await channelOf(input.channelId);
        const readSize = settings.limits.readItemsPerRequest;
        const size = Math.min(input.span.limit ?? readSize, readSize);
        const { entries, pageSize, pagesEnded, end } = await readSpan(input.target, input.span, size);
        if (entries.length === 0) {
          const layout = { pageSize, readSize };
          return { counts: NO_COUNTS, end, pagesEnded, layout, findings: [], safetyBuffer: settings.safetyBuffer };
        }
        const skus = await identify(settings, entries);
        const counts: ReconcileCounts = { ...NO_COUNTS, compared: skus.length };
        const held = input.readChannel ? await readOnce(adapter, input, skus, state, save) : undefined;
        const findings: ChunkFinding[] = [];
        for (const sku of skus) {
          if (sku.remoteId === undefined) counts.notListed++;
          else if (!held) counts.unknown++;
          else {
            const holds = held.get(sku.remoteId) ?? null;
            const expected = publishedQuantity(sku.stock, settings);
            if (holds === expected) counts.match++;
            else {
              if (holds === null) counts.missing++;
              else counts.drift++;
              findings.push({
                sku: sku.sku,
                productPk: sku.product?.pk ?? null,
                remoteId: sku.remoteId,
                held: holds,
                expected,
                stock: sku.stock,
              });
            }
          }
        }
        const layout = { pageSize, readSize };
        return { counts, end, pagesEnded, layout, findings, safetyBuffer: settings.safetyBuffer };
      }),

    reportChunk: (input) =>
      activityStep(async ({ checkpointed, checkpoint }): Promise<ReportChunkResult> => {
        const state: ReportCheckpoint = { ...(checkpointed as ReportCheckpoint | undefined) };
        const prefix = chunkPrefix(input.runKey, input.target, input.span);
        const written = new Set(state.written ?? []);
        if (Context.current().info.attempt > 1 && !state.complete) {
          // A retry after a crash: the reports an earlier attempt wrote before it died are not written again.
          for await (const report of omnitron.iterateErrorReports(input.channelId, {
            error_code__startswith: prefix,
          })) {
            written.add(report.error_code);
          }
        }
        state.complete = false;
        let uncertain = false;
        const save = () => checkpoint({ ...state, written: [...written] });
        try {
          const list = `${input.target.main ? 'main stock list' : 'stock list'} ${input.target.stockListId}`;
          await eachUntilFailure(
            OMNITRON_CONCURRENCY,
            input.findings.filter((f) => !written.has(prefix + f.sku)),
            async (f) => {
              try {
                await writeErrorReport(
                  omnitron,
                  input.channelId,
                  { action: 'product', objectId: f.productPk ?? 0 },
                  {
                    error_code: prefix + f.sku,
                    error_desc:
                      f.held === null
                        ? `stock missing at the channel: SKU ${f.sku} (${list}) is not on the channel ` +
                          `(remote id ${f.remoteId}); it should hold ${f.expected}`
                        : `stock drift: SKU ${f.sku} (${list}) — the channel holds ${f.held}, it should hold ` +
                          `${f.expected} (stock ${f.stock}, safety buffer ${input.safetyBuffer})`,
                    raw_request: `reconcile-read-${f.remoteId}-${input.target.warehouseCode ?? ''}`,
                    raw_response: JSON.stringify({
                      sku: f.sku,
                      remote_id: f.remoteId,
                      stock_list: input.target.stockListId,
                      held: f.held,
                      expected: f.expected,
                      stock: f.stock,
                    }),
                    is_ok: false,
                  },
                );
              } catch (err) {
                // No answer: the report may have been written all the same; the next attempt lists before it writes.
                if (err instanceof NetworkError) uncertain = true;
                throw err;
              }
              written.add(prefix + f.sku);
              save();
            },
          );
          const repairs: RepairCandidate[] = [];
          if (input.repair) {
            const drifted = input.findings.filter((f) => f.held !== null && f.productPk !== null);
            // One Omnitron call per drifted product (its stock in the list): each found one is checkpointed, so a retry
            // after a failed call goes on from there.
            const found = new Map(state.stockPks ?? []);
            await eachUntilFailure(OMNITRON_CONCURRENCY, drifted, async (f) => {
              const productPk = f.productPk ?? 0;
              if (!found.has(productPk)) {
                const stock = await omnitron.productStockOf(input.channelId, productPk, {
                  id: input.target.stockListId,
                  main: input.target.main,
                });
                found.set(productPk, stock?.pk ?? null);
                state.stockPks = [...found];
                save();
              }
              const stockPk = found.get(productPk);
              if (stockPk !== null && stockPk !== undefined) repairs.push({ stockPk, stock: f.stock });
            });
            repairs.sort((a, b) => a.stockPk - b.stockPk);
          }
          return { repairs };
        } catch (err) {
          state.complete = !uncertain;
          checkpoint({ ...state, written: [...written] }, { progress: false });
          throw err;
        }
      }),

    commitRepairs: (input) =>
      activityStep(async () => {
        const batch = await omnitron.getBatch(input.channelId, input.batchPk);
        if (batch.status !== 'initialized') {
          // A retry after the commit went through: answer from the batch.
          return { committed: batch.objects.length, changed: input.repairs.length - batch.objects.length };
        }
        const read = await omnitron.getProductStocks(
          input.channelId,
          input.repairs.map((r) => r.stockPk),
        );
        const now = new Map(read.stocks.map((s) => [s.pk, s]));
        // Never a quantity older than the one compared: a stock that moved since is the update flow's to send.
        const objects = input.repairs.flatMap((r) => {
          const stock = now.get(r.stockPk);
          return stock && stock.stock === r.stock ? [{ pk: stock.pk, version_date: stock.modified_date }] : [];
        });
        if (objects.length === 0) {
          await omnitron.markDone(input.channelId, input.batchPk, []);
          return { committed: 0, changed: input.repairs.length };
        }
        try {
          await omnitron.commitBatch(input.channelId, input.batchPk, objects);
        } catch (err) {
          // Another batch of the channel holds commit (a send flow's page): its turn first.
          if ((err as { status?: number }).status === 400) {
            throw retryLater('BatchCommitConflict', `repair batch ${input.batchPk}: ${(err as Error).message}`);
          }
          throw err;
        }
        return { committed: objects.length, changed: input.repairs.length - objects.length };
      }),

    confirmRepairs: (input) =>
      activityStep(async () => {
        const { adapter, settings } = await channelOf(input.channelId);
        const read = await omnitron.getProductStocks(input.channelId, input.stockPks);
        const products = new Map(
          (
            await omnitron.listProducts(
              input.channelId,
              read.stocks.map((s) => s.product),
            )
          ).map((p) => [p.pk, p]),
        );
        const skus = await identify(
          settings,
          read.stocks.flatMap((s) => {
            const sku = products.get(s.product)?.sku;
            return sku ? [{ sku, stock: s.stock }] : [];
          }),
        );
        const held = await readChannel(adapter, input.target, skus);
        let confirmed = 0;
        for (const sku of skus) {
          if (sku.remoteId !== undefined && held.get(sku.remoteId) === publishedQuantity(sku.stock, settings)) {
            confirmed++;
          }
        }
        return { confirmed, stillDrifted: skus.length - confirmed };
      }),
  };
}
