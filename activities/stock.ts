/**
 * The stock flows' activities: thin steps over the Omnitron client and the channel adapters, each idempotent by the
 * batch request's status, so a retry after a lost reply (or a worker killed mid-step) never commits a page twice:
 *
 *   commitPage  initialized -> fetch one page, commit it          | commit or later -> report what is committed
 *   sendBatch   commit -> read the stocks back, send, then         | sent_to_remote/ongoing/done -> report that
 *               async: sent_to_remote / sync: results + done
 *   sendPage    commitPage then sendBatch in one activity (what the flows call; the two alone serve older histories)
 *   checkBatch  sent_to_remote/ongoing -> ask the channel; finished -> results + done; forgotten -> fail
 *   failBatch   anything open -> fail, with a report
 *
 * Stock records never leave an activity: the workflow gets counts; sendBatch reads the batch's stocks back by pk.
 * The steps live by job: batches.ts (plan, open, commit a page, fail, list open ones), send-batch.ts, send-page.ts,
 * check-batch.ts; what they share, stock-deps.ts. What becomes of a page at the channel is channel-items.ts; finishing from results,
 * batch-results.ts; batches left open by others, batch-sweeps.ts.
 */
import { batchActivities } from './batches';
import { checkBatchActivity } from './check-batch';
import { previewPageActivity } from './preview-page';
import { sendBatchActivity } from './send-batch';
import { sendPageActivity } from './send-page';
import type { StockActivityDeps } from './stock-deps';
import type { StockActivities } from './stock-types';

export { adapterOf, settingsOf, type StockActivityDeps } from './stock-deps';

export function createStockActivities(deps: StockActivityDeps): StockActivities {
  return {
    ...batchActivities(deps),
    ...sendBatchActivity(deps),
    ...sendPageActivity(deps),
    ...checkBatchActivity(deps),
    ...previewPageActivity(deps),
  };
}
