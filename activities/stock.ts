/**
 * The stock flows' activities: thin steps over the Omnitron client and the channel adapters, each idempotent by the
 * batch request's status, so a retry after a lost reply (or a worker killed mid-step) never commits a page twice:
 *
 *   commitPage  initialized -> fetch one page, commit it          | commit or later -> report what is committed
 *   sendBatch   commit -> read the stocks back, send, then         | sent_to_remote/ongoing/done -> report that
 *               async: sent_to_remote / sync: results + done
 *   checkBatch  sent_to_remote/ongoing -> ask the channel; finished -> results + done; forgotten -> fail
 *   failBatch   anything open -> fail, with a report
 *
 * Stock records never leave an activity: the workflow gets counts; sendBatch reads the batch's stocks back by pk.
 * What becomes of a page at the channel is channel-items.ts; finishing from results, batch-results.ts; batches left
 * open by others, batch-sweeps.ts.
 */
import { log } from '@temporalio/activity';
import type { ChannelAdapter, SendOutcome } from '../src/channels/port';
import { ClientRequestError } from '../src/http/errors';
import type { MalformedProductStock, OmnitronClient } from '../src/omnitron/client';
import type { BatchRequest, Channel } from '../src/omnitron/schemas';
import type { WhippyStockClient } from '../src/stock-api/client';
import { finishWithResults } from './batch-results';
import { blockerOf, BUSY_COMMIT_MS, commitHolder, failIfStale, sweepLeftOpen, untouchedMs } from './batch-sweeps';
import { type ChannelSettings, channelItems, indexByRemoteId, productsOf, resolveIdentities } from './channel-items';
import { BatchReporter, type ObjectFailure } from './error-reports';
import { activityStep, permanent, retryLater } from './failures';
import { recordFinishedBatch } from './metrics';
import type {
  CheckBatchResult,
  CommitPageResult,
  FailedAtSend,
  FlowTarget,
  SendBatchResult,
  StockActivities,
} from './stock-types';

export interface StockActivityDeps {
  omnitron: OmnitronClient;
  /** The Omnitron channels this deployment syncs; each gets workers on its own rate-limited task queue. */
  channelIds: readonly number[];
  /** The configured adapter of an Omnitron channel; throws when the channel has none. */
  channelAdapter(channelId: number): ChannelAdapter;
  /** Held back from every quantity sent to the channel (published = max(0, stock - buffer)); 0 when absent. */
  safetyBuffer?(channelId: number): number;
  /** The stock API (WHIPPY_URL), which reconciliation reads; absent: reconciliation fails, naming the setting. */
  whippy?: WhippyStockClient;
}

/** What `sendBatch` checkpoints once the channel has answered: ids and verdicts, never the raw exchange. */
type ChannelAnswer = { batchPk: number; outcome: DistributiveOmit<SendOutcome, 'exchanges'> };
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** Default of `staleCommitAfter` (workflows/inputs.ts) for callers that pass none. */
const STALE_COMMIT_AFTER_MS = 30 * 60_000;

const OPEN_FOR_SENDING: readonly BatchRequest['status'][] = ['sent_to_remote', 'ongoing'];

/** Counts of a finished batch, read back from its objects (the idempotent answer to a repeated call). */
function finishedCounts(batch: BatchRequest): { succeeded: number; failed: number } {
  const failed = batch.objects.filter((o) => o.failed_reason_type).length;
  return { succeeded: batch.status === 'done' ? batch.objects.length - failed : 0, failed };
}

function malformedFailure(m: MalformedProductStock, where: string): ObjectFailure {
  const fields = m.fields.map((f) => `${f.path || '(record)'}: ${f.message}`).join('; ');
  return { pk: m.pk ?? 0, message: `malformed product stock from Omnitron${where}: ${fields}`, reason: 'channel_app' };
}

/** The channel's adapter; a channel stockflow has none for cannot be fixed by retrying. */
export function adapterOf(deps: Pick<StockActivityDeps, 'channelAdapter'>, channelId: number): ChannelAdapter {
  try {
    return deps.channelAdapter(channelId);
  } catch (err) {
    throw permanent('ChannelNotConfigured', err instanceof Error ? err.message : String(err));
  }
}

/** What the channel items of a channel are built with: identity rule, buffer, limits. */
export function settingsOf(
  deps: Pick<StockActivityDeps, 'safetyBuffer'>,
  channel: Channel,
  adapter: ChannelAdapter,
): ChannelSettings {
  return {
    channelId: channel.pk,
    remoteIdAttribute: channel.conf.remote_id_attribute ?? null,
    safetyBuffer: deps.safetyBuffer?.(channel.pk) ?? 0,
    limits: adapter.descriptor.limits,
  };
}

/** What a log line names a batch by: ids only, never its records. */
const ids = (input: { channelId: number; batchPk: number }) => ({ channelId: input.channelId, batchPk: input.batchPk });

export function createStockActivities(deps: StockActivityDeps): StockActivities {
  const { omnitron } = deps;

  /** The channel's catalogue, WAREHOUSE_CODES, settings and adapter. */
  async function channelSetup(channelId: number) {
    const channel = await omnitron.getChannel(channelId);
    const adapter = adapterOf(deps, channelId);
    if (channel.catalog === null) throw permanent('ChannelWithoutCatalog', `channel ${channelId} has no catalogue`);
    const catalog = await omnitron.getCatalog(channel.catalog);
    return { channel, adapter, catalog, settings: settingsOf(deps, channel, adapter) };
  }

  /**
   * A commit Omnitron refused because another batch of the channel holds `commit`: a young holder is a flow sending
   * its page (retry in a moment); a stale one is failed and the commit retried; any other makes this page wait.
   * Undefined when no other batch holds `commit` (the refusal was about something else).
   */
  async function commitConflict(
    input: { channelId: number; batchPk: number; staleCommitAfterMs?: number },
    refusal: ClientRequestError,
  ): Promise<CommitPageResult | 'retry' | undefined> {
    const holder = await commitHolder(omnitron, input.channelId, input.batchPk);
    if (!holder) return undefined;
    if (await failIfStale(omnitron, input.channelId, holder, input.staleCommitAfterMs ?? STALE_COMMIT_AFTER_MS)) {
      return 'retry';
    }
    if (untouchedMs(holder) < BUSY_COMMIT_MS) {
      throw retryLater('BatchCommitConflict', `batch ${holder.pk} of the channel is in commit: ${refusal.message}`);
    }
    // Nothing of this page is committed; the batch is closed empty and the next page waits for the holder.
    await omnitron.markDone(input.channelId, input.batchPk, []);
    return { fetched: 0, malformed: 0, committed: 0, closed: true, blockedBy: blockerOf(holder) };
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
        await sweepLeftOpen(omnitron, input.channelId, input.staleCommitAfterMs ?? STALE_COMMIT_AFTER_MS);
        const codes = channel.conf.WAREHOUSE_CODES ?? {};
        const mainList = catalog.stock_list;
        const eligible = new Set([...(mainList === null ? [] : [mainList]), ...catalog.extra_stock_lists]);
        const targets: FlowTarget[] =
          input.source === 'main'
            ? [{ stockListId: null, warehouseCode: mainList === null ? null : (codes[String(mainList)] ?? null) }]
            : Object.entries(codes)
                .map(([id, warehouseCode]) => ({ stockListId: Number(id), warehouseCode }))
                .filter((t) => eligible.has(t.stockListId))
                .sort((a, b) => a.stockListId - b.stockListId);
        log.info('flow planned', {
          channelId: input.channelId,
          active: channel.is_active,
          mode,
          pageSize: limits.itemsPerRequest,
          stockLists: targets.map((t) => t.stockListId ?? 'main'),
        });
        return { active: channel.is_active, mode, pageSize: limits.itemsPerRequest, targets };
      }),

    openBatch: ({ channelId }) =>
      activityStep(async ({ checkpointed, checkpoint }) => {
        // A retry after the batch was created (its reply lost) takes that batch instead of leaving it an orphan.
        const previous = checkpointed as { batchPk: number } | undefined;
        if (previous && (await omnitron.getBatch(channelId, previous.batchPk)).status === 'initialized') {
          log.info('batch opened earlier taken', { channelId, batchPk: previous.batchPk });
          return { batchPk: previous.batchPk };
        }
        const { pk } = await omnitron.createBatch(channelId);
        checkpoint({ batchPk: pk });
        log.info('batch opened', { channelId, batchPk: pk });
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
            unkeyed.map((m) => malformedFailure(m, ` (record #${m.index} of the page, no pk)`)),
          );
        }
        const objects = [
          ...page.stocks.map((s) => ({ pk: s.pk, version_date: s.modified_date })),
          ...keyed.map((m) => ({ pk: m.pk, version_date: m.versionDate ?? null })),
        ];
        if (objects.length === 0) {
          await omnitron.markDone(input.channelId, input.batchPk, []);
          return { fetched: 0, malformed: page.malformed.length, committed: 0, closed: true };
        }
        for (let attempt = 1; ; attempt++) {
          try {
            await omnitron.commitBatch(input.channelId, input.batchPk, objects);
            break;
          } catch (err) {
            if (!(err instanceof ClientRequestError) || err.status !== 400 || attempt > 1) throw err;
            const conflict = await commitConflict(input, err);
            if (conflict === undefined) throw err;
            if (conflict !== 'retry') {
              log.warn('page waits: another batch holds commit', { ...ids(input), blockedBy: conflict.blockedBy });
              return conflict;
            }
          }
        }
        const remaining = Math.max(0, page.count - page.stocks.length - page.malformed.length);
        log.info('page committed', {
          ...ids(input),
          stockListId: input.target.stockListId ?? 'main',
          committed: objects.length,
          malformed: page.malformed.length,
          remaining,
        });
        return {
          fetched: page.stocks.length,
          malformed: page.malformed.length,
          committed: objects.length,
          remaining,
          closed: false,
        };
      }),

    sendBatch: (input) =>
      activityStep(async ({ checkpointed, checkpoint, uninterrupted }): Promise<SendBatchResult> => {
        const batch = await omnitron.getBatch(input.channelId, input.batchPk);
        if (OPEN_FOR_SENDING.includes(batch.status) && batch.remote_batch_id) {
          return { mode: 'async', remoteBatchId: batch.remote_batch_id, sent: batch.objects.length, failed: 0 };
        }
        if (batch.status === 'done' || batch.status === 'fail') return { mode: 'sync', ...finishedCounts(batch) };
        if (batch.status !== 'commit') throw permanent('BatchNotCommitted', `batch ${batch.pk} is ${batch.status}`);

        const { adapter, catalog, settings } = await channelSetup(input.channelId);
        const reporter = new BatchReporter(omnitron, input.channelId, batch, input.isSuccessLog);
        const read = await omnitron.getProductStocks(
          input.channelId,
          batch.objects.map((o) => o.pk),
        );
        const { items, failures } = await channelItems(
          omnitron,
          settings,
          batch,
          { kind: input.kind, target: input.target, stocks: read.stocks },
          { addProductObjects: input.addProductObjects, addPrice: input.addPrice, priceList: catalog.price_list },
        );
        const failedBeforeSend = [...failures, ...read.malformed.map((m) => malformedFailure(m, ''))];
        const pkByRemoteId = indexByRemoteId(items);
        if (items.length === 0) {
          const counts = await finishWithResults(omnitron, input, batch, reporter, {
            pkByRemoteId,
            results: [],
            failedBeforeSend,
          });
          return { mode: 'sync', ...counts };
        }
        // From the send on, the page is the channel's: a cancellation waits for the answer and its bookkeeping (a
        // batch the channel accepted must never be failed behind its back).
        return uninterrupted(async () => {
          const command = input.kind === 'updates' ? 'SendUpdatedStocks' : 'SendInsertedStocks';
          // The channel's answer is checkpointed before any Omnitron bookkeeping: if a write after it fails, the retry
          // finishes the bookkeeping from the checkpoint instead of sending the page a second time.
          const previous = checkpointed as ChannelAnswer | undefined;
          let outcome: SendOutcome;
          if (previous?.batchPk === batch.pk) {
            outcome = { ...previous.outcome, exchanges: [] };
          } else {
            const send = { sendKey: batch.local_batch_id };
            outcome =
              input.kind === 'updates'
                ? await adapter.sendUpdatedStocks(items, send)
                : await adapter.sendInsertedStocks(items, send);
            const { exchanges, ...answer } = outcome;
            checkpoint({ batchPk: batch.pk, outcome: answer } satisfies ChannelAnswer);
            log.info('page sent to the channel', {
              ...ids(input),
              items: items.length,
              mode: outcome.mode,
              ...(outcome.mode === 'async'
                ? { remoteBatchId: outcome.remoteBatchId, refused: outcome.rejected.length }
                : { failed: outcome.results.filter((r) => r.status === 'failed').length }),
            });
            // A retry after a failed write has no raw exchange to report (it stays out of heartbeats): written now.
            await reporter.channelCalls(command, exchanges);
          }
          if (outcome.mode === 'sync') {
            const counts = await finishWithResults(omnitron, input, batch, reporter, {
              pkByRemoteId,
              results: outcome.results,
              failedBeforeSend,
            });
            return { mode: 'sync', ...counts };
          }
          await omnitron.markSentToRemote(input.channelId, input.batchPk, outcome.remoteBatchId);
          // Items refused before sending and stocks that could not be sent are settled when the batch finishes (they
          // get no result from the channel); report them now, while the reason is known, and tell the check.
          const rejected = outcome.rejected.flatMap((r) =>
            (pkByRemoteId.get(r.remoteId) ?? []).map((pk): ObjectFailure => ({
              pk,
              message: r.message ?? 'refused',
              reason: 'remote',
            })),
          );
          const failedAtSend = [...failedBeforeSend, ...rejected];
          await reporter.objectFailures(failedAtSend);
          return {
            mode: 'async',
            remoteBatchId: outcome.remoteBatchId,
            sent: items.length - outcome.rejected.length,
            failed: failedAtSend.length,
            failedAtSend: failedAtSend.map(({ pk, reason }) => ({ pk, reason }) as FailedAtSend),
          };
        });
      }),

    checkBatch: (input) =>
      activityStep(async ({ uninterrupted }): Promise<CheckBatchResult> => {
        const batch = await omnitron.getBatch(input.channelId, input.batchPk);
        if (batch.status === 'done' || batch.status === 'fail') return { state: 'done', ...finishedCounts(batch) };
        const adapter = adapterOf(deps, input.channelId);
        const check = await adapter.checkBatch(input.remoteBatchId);
        const reporter = new BatchReporter(omnitron, input.channelId, batch, input.isSuccessLog);
        log.info('channel batch checked', { ...ids(input), remoteBatchId: input.remoteBatchId, state: check.state });
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
        // The channel has answered: its results are recorded to the end, whatever happens to the wait meanwhile.
        return uninterrupted(async () => {
          const channel = await omnitron.getChannel(input.channelId);
          const settings = settingsOf(deps, channel, adapter);
          const read = await omnitron.getProductStocks(
            input.channelId,
            batch.objects.map((o) => o.pk),
          );
          // Failed at send: reported then, settled now with their reason (by pk, so nothing counts twice).
          const atSend = new Set((input.failedAtSend ?? []).map((f) => f.pk));
          const toMatch = read.stocks.filter((s) => !atSend.has(s.pk));
          const products = settings.remoteIdAttribute
            ? await productsOf(omnitron, input.channelId, toMatch)
            : new Map();
          const { identities, failures } = await resolveIdentities(
            omnitron,
            settings,
            batch,
            toMatch,
            'updates',
            products,
          );
          const pkByRemoteId = indexByRemoteId([...identities].map(([pk, remoteId]) => ({ pk, remoteId })));
          const settledAtSend = (input.failedAtSend ?? []).map((f): ObjectFailure => ({
            pk: f.pk,
            reason: f.reason,
            message: 'failed when sent',
          }));
          const counts = await finishWithResults(omnitron, input, batch, reporter, {
            pkByRemoteId,
            results: check.results,
            failedBeforeSend: [...settledAtSend, ...failures],
            reportedAtSend: atSend,
          });
          return { state: 'done', ...counts };
        });
      }),

    failBatch: (input) =>
      activityStep(async () => {
        const batch = await omnitron.getBatch(input.channelId, input.batchPk);
        if (batch.status === 'done' || batch.status === 'fail') return;
        if (input.unlessSent && OPEN_FOR_SENDING.includes(batch.status)) {
          // The channel has it: failing it now would hand its stocks out again while the channel applies them.
          log.warn('batch left to its wait: the channel has it', { ...ids(input), status: batch.status });
          return;
        }
        log.warn('batch failed', { ...ids(input), reason: input.reason });
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
