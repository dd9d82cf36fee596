/**
 * The Omnitron side of a page: plan a flow's stock lists, open a batch, commit one page of product stocks into it,
 * fail a batch, list the open ones. Each step is idempotent by the batch's status (see activities/stock.ts).
 */
import { log } from '@temporalio/activity';
import { ClientRequestError } from '../src/http/errors';
import type { OmnitronClient } from '../src/omnitron/client';
import { blockerOf, BUSY_COMMIT_MS, commitHolder, failIfStale, sweepLeftOpen, untouchedMs } from './batch-sweeps';
import { BatchReporter } from './error-reports';
import { activityStep, permanent, retryLater } from './failures';
import { recordFinishedBatch } from './metrics';
import {
  channelSetup,
  ids,
  malformedFailure,
  OPEN_FOR_SENDING,
  STALE_COMMIT_AFTER_MS,
  type StockActivityDeps,
} from './stock-deps';
import type { CommitPageInput, CommitPageResult, FlowTarget, StockActivities } from './stock-types';

/**
 * The commit step of a page, shared by `commitPage` and `sendPage` (activities/send-page.ts).
 */
export function pageCommitter(omnitron: OmnitronClient): (input: CommitPageInput) => Promise<CommitPageResult> {
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

  /**
   * Fetches one page of `updates/`/`inserts/` and commits it into the batch. Idempotent per batch: a repeat finds
   * the batch past `initialized` and answers from it, never committing a second page.
   */
  async function commitPageInto(input: CommitPageInput): Promise<CommitPageResult> {
    const batch = await omnitron.getBatch(input.channelId, input.batchPk);
    if (batch.status === 'fail' && batch.objects.length === 0) {
      return { fetched: 0, malformed: 0, committed: 0, closed: true, swept: true };
    }
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
  }

  return commitPageInto;
}

/**
 * Closes a batch opened ahead for a page that was not taken: `done` and empty, as an empty page closes its own; one
 * that left `initialized` meanwhile is not ours to touch.
 */
export async function closeUnusedBatch(omnitron: OmnitronClient, channelId: number, batchPk: number): Promise<void> {
  if ((await omnitron.getBatch(channelId, batchPk)).status !== 'initialized') return;
  await omnitron.markDone(channelId, batchPk, []);
  log.info('batch opened ahead closed unused', { channelId, batchPk });
}

export function batchActivities(
  deps: StockActivityDeps,
): Pick<
  StockActivities,
  'planFlow' | 'openBatch' | 'commitPage' | 'failBatch' | 'closeUnusedBatch' | 'listOpenBatches'
> {
  const { omnitron } = deps;

  const commitPageInto = pageCommitter(omnitron);

  return {
    planFlow: (input) =>
      activityStep(async () => {
        const { channel, adapter, catalog } = await channelSetup(deps, input.channelId);
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

    commitPage: (input) => activityStep(() => commitPageInto(input)),

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

    closeUnusedBatch: ({ channelId, batchPk }) => activityStep(() => closeUnusedBatch(omnitron, channelId, batchPk)),

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
