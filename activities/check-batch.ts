/**
 * `checkBatch`: asks the channel about an asynchronous batch; once it has finished, its per-item results settle the
 * Omnitron batch (`done`, with reports); a batch the channel forgot is failed.
 */
import { Context, log } from '@temporalio/activity';
import { finishWithResults } from './batch-results';
import { indexByRemoteId, productsOf, resolveIdentities } from './channel-items';
import { BatchReporter, type ObjectFailure } from './error-reports';
import { activityStep, type ActivityStepControls } from './failures';
import { recordFinishedBatch } from './metrics';
import { adapterOf, finishedCounts, ids, settingsOf, type StockActivityDeps } from './stock-deps';
import type { BatchCheck, CheckBatchInput, CheckBatchResult, StockActivities } from './stock-types';

/** The check of one batch, shared by `checkBatch`, `checkBatches` and the checks `sendPage` carries. */
export function batchChecker(
  deps: StockActivityDeps,
): (input: CheckBatchInput, step: Pick<ActivityStepControls, 'uninterrupted'>) => Promise<CheckBatchResult> {
  const { omnitron } = deps;
  return async (input, { uninterrupted }) => {
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
      const products = settings.remoteIdAttribute ? await productsOf(omnitron, input.channelId, toMatch) : new Map();
      const { identities, failures } = await resolveIdentities(omnitron, settings, batch, toMatch, 'updates', products);
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
        unnamed: check.unnamed,
      });
      return { state: 'done', ...counts };
    });
  };
}

/**
 * Spacing between the marketplace requests of one activity: the channel queue dispatches activities at half the
 * channel's rate (src/worker.ts), and an activity that makes its two requests back to back would spend the
 * marketplace's burst at once, so any jitter in dispatch turns into 429s. `next()` waits one request interval
 * (1 / requestsPerSecond) after the activity's previous request, if it made one.
 */
export function requestSpacing(deps: StockActivityDeps, channelId: number, madeOne: boolean) {
  const intervalMs = 1000 / adapterOf(deps, channelId).descriptor.limits.requestsPerSecond;
  let previous = madeOne;
  return {
    async next(): Promise<void> {
      if (previous && intervalMs >= 1) await Context.current().sleep(intervalMs);
      previous = true;
    },
  };
}

/** A due check waits inside its activity at most this long (a longer wait is the flow's durable timer). */
export const MAX_CHECK_WAIT_MS = 10_000;

/**
 * Waits until `at` (epoch ms), at most {@link MAX_CHECK_WAIT_MS}: a batch check due in less than a second waits here,
 * to the millisecond, where a workflow timer would fire on the server's next second.
 */
export async function sleepUntil(at: number): Promise<void> {
  const ms = Math.min(at - Date.now(), MAX_CHECK_WAIT_MS);
  if (ms > 0) await Context.current().sleep(ms);
}

export function checkBatchActivity(deps: StockActivityDeps): Pick<StockActivities, 'checkBatch' | 'checkBatches'> {
  const check = batchChecker(deps);
  return {
    checkBatch: (input) => activityStep((step) => check(input, step)),
    checkBatches: ({ channelId, checks, at }) =>
      activityStep(async (step) => {
        // The checks a failed attempt finished are not asked again (nor their results recorded twice).
        const done = new Map(((step.checkpointed as BatchCheck[] | undefined) ?? []).map((c) => [c.batchPk, c]));
        if (at !== undefined && done.size === 0) await sleepUntil(at);
        const spacing = requestSpacing(deps, channelId, false);
        for (const input of checks) {
          if (done.has(input.batchPk)) continue;
          await spacing.next();
          done.set(input.batchPk, { batchPk: input.batchPk, result: await check(input, step) });
          step.checkpoint([...done.values()]);
        }
        return checks.map((c) => done.get(c.batchPk)!);
      }),
  };
}
