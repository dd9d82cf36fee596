/**
 * `sendPage`: a page's commit and send as one activity on the channel's task queue, so the two cost one server round
 * trip and one workflow task instead of two of each. The steps are the ones `commitPage` and `sendBatch` run alone
 * (older histories still call those): the commit is idempotent by the batch's status, and a checkpoint after it makes
 * a failure in the send count as progress (retried 250 ms later, see activityStep) and resumes at the send.
 * With `openNext` it also opens the next page's batch once this page is committed, so a page costs one activity, not
 * an openBatch and a sendPage. An async flow's due batch checks ride along after the page
 * (workflows/awaited-batches.ts): no activity of their own.
 */
import { Context, log } from '@temporalio/activity';
import { closeUnusedBatch, pageCommitter } from './batches';
import { batchChecker, requestSpacing, sleepUntil } from './check-batch';
import { activityStep, type ActivityStepControls } from './failures';
import { batchSender } from './send-batch';
import { ids, type StockActivityDeps } from './stock-deps';
import type {
  BatchCheck,
  CheckBatchInput,
  PageCheck,
  PageCheckpoint,
  SendBatchResult,
  SendPageInput,
  SendPageResult,
  StockActivities,
} from './stock-types';

/** What a page not taken answers: nothing fetched, nothing committed. */
const NOT_TAKEN = { fetched: 0, malformed: 0, committed: 0, closed: false } as const;

/** The step controls with every checkpoint carrying the batch opened ahead, so no later step's checkpoint drops it. */
function keepingNextBatch(step: ActivityStepControls, nextBatchPk: number | undefined): ActivityStepControls {
  if (nextBatchPk === undefined) return step;
  return {
    ...step,
    checkpoint: (details, options) => step.checkpoint({ ...(details as object), nextBatchPk }, options),
  };
}

export function sendPageActivity(deps: StockActivityDeps): Pick<StockActivities, 'sendPage'> {
  const { omnitron } = deps;
  const commit = pageCommitter(omnitron);
  const send = batchSender(deps);
  const check = batchChecker(deps);

  /** The next page's batch: the one an earlier attempt opened while it is still `initialized`, else a new one. */
  async function openAhead(channelId: number, earlier: number | undefined): Promise<number> {
    if (earlier !== undefined && (await omnitron.getBatch(channelId, earlier)).status === 'initialized') return earlier;
    const { pk } = await omnitron.createBatch(channelId);
    log.info('batch opened for the next page', { channelId, batchPk: pk });
    return pk;
  }

  /** Asks each check in turn; a check that fails comes back `pending` (a check is only a question, asked again). */
  async function ask(
    page: SendPageInput,
    checks: readonly PageCheck[],
    spacing: ReturnType<typeof requestSpacing>,
    step: ActivityStepControls,
  ): Promise<BatchCheck[]> {
    const checked: BatchCheck[] = [];
    for (const pageCheck of checks) {
      const c: CheckBatchInput = { channelId: page.channelId, isSuccessLog: page.isSuccessLog, ...pageCheck };
      await spacing.next();
      try {
        checked.push({ batchPk: c.batchPk, result: await check(c, step) });
      } catch (err) {
        if (Context.current().cancellationSignal.aborted) throw err;
        log.warn('batch check failed; asked again later', { ...ids(c), error: String(err) });
        checked.push({ batchPk: c.batchPk, result: { state: 'pending' } });
      }
    }
    return checked;
  }

  return {
    sendPage: (input) =>
      activityStep(async (step): Promise<SendPageResult> => {
        const previous = step.checkpointed as PageCheckpoint | undefined;
        const earlier = previous?.batchPk === input.batchPk ? previous : undefined;
        const spacing = requestSpacing(deps, input.channelId, false);
        let nextBatchPk: number | undefined;
        try {
          let checked: BatchCheck[] = [];
          if (input.checksFirst && !earlier) {
            const { checks, at } = input.checksFirst;
            await sleepUntil(at);
            checked = await ask(input, checks, spacing, step);
            if (checked.every((c) => c.result.state === 'pending')) return { page: NOT_TAKEN, checked, skipped: true };
          }
          const page = await commit(input);
          let sent: SendBatchResult | undefined;
          if (!page.blockedBy && page.committed > 0) {
            if (input.openNext) nextBatchPk = await openAhead(input.channelId, earlier?.nextBatchPk);
            const pageStep = keepingNextBatch(step, nextBatchPk);
            // The first checkpoint of an attempt is its first heartbeat, which the SDK sends at once (later ones are
            // throttled): the batch opened ahead is on the server before the page goes to the channel.
            if (!earlier || earlier.nextBatchPk !== nextBatchPk)
              pageStep.checkpoint({ ...earlier, batchPk: input.batchPk });
            if (!page.closed) {
              await spacing.next();
              sent = await send(input, pageStep);
            }
          }
          if (input.checks?.length) checked = [...checked, ...(await ask(input, input.checks, spacing, step))];
          return { page, sent, nextBatchPk, ...(checked.length > 0 ? { checked } : {}) };
        } catch (err) {
          const ahead = nextBatchPk ?? earlier?.nextBatchPk;
          if (Context.current().cancellationSignal.aborted && ahead !== undefined) {
            // A cancelled run takes no next page: its batch is closed unused.
            await step.uninterrupted(() => closeUnusedBatch(omnitron, input.channelId, ahead));
          }
          throw err;
        }
      }),
  };
}
