/**
 * `sendPage`: a page's commit and send as one activity on the channel's task queue, so the two cost one server round
 * trip and one workflow task instead of two of each. The steps are the ones `commitPage` and `sendBatch` run alone
 * (older histories still call those): the commit is idempotent by the batch's status, and a checkpoint after it makes
 * a failure in the send count as progress (the retry comes 1 s later, see activityStep) and resumes at the send.
 * An async flow's due batch checks ride along after the page (workflows/awaited-batches.ts): no activity of their own.
 */
import { log } from '@temporalio/activity';
import { pageCommitter } from './batches';
import { batchChecker, requestSpacing } from './check-batch';
import { activityStep } from './failures';
import { batchSender } from './send-batch';
import { ids, type StockActivityDeps } from './stock-deps';
import type { BatchCheck, SendBatchResult, SendPageResult, StockActivities } from './stock-types';

export function sendPageActivity(deps: StockActivityDeps): Pick<StockActivities, 'sendPage'> {
  const commit = pageCommitter(deps.omnitron);
  const send = batchSender(deps);
  const check = batchChecker(deps);
  return {
    sendPage: (input) =>
      activityStep(async (step): Promise<SendPageResult> => {
        const page = await commit(input);
        let sent: SendBatchResult | undefined;
        if (!page.blockedBy && page.committed > 0 && !page.closed) {
          const previous = step.checkpointed as { batchPk?: number } | undefined;
          if (previous?.batchPk !== input.batchPk) step.checkpoint({ batchPk: input.batchPk });
          sent = await send(input, step);
        }
        if (!input.checks?.length) return { page, sent };
        const checked: BatchCheck[] = [];
        const spacing = requestSpacing(deps, input.channelId, sent !== undefined);
        for (const c of input.checks) {
          await spacing.next();
          try {
            checked.push({ batchPk: c.batchPk, result: await check(c, step) });
          } catch (err) {
            // The page is done; a check is only a question, asked again by the flow, never a reason to redo it.
            log.warn('batch check failed; asked again later', { ...ids(c), error: String(err) });
            checked.push({ batchPk: c.batchPk, result: { state: 'pending' } });
          }
        }
        return { page, sent, checked };
      }),
  };
}
