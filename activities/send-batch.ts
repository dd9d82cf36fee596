/**
 * `sendBatch`: a committed page to the channel. The stocks are read back from Omnitron by pk, turned into channel
 * items, sent, and the channel's answer is checkpointed before any bookkeeping, so a retry finishes the bookkeeping
 * instead of sending the page again; a synchronous channel's results finish the batch at once, an asynchronous
 * channel's batch id marks it `sent_to_remote` for checkBatch.
 */
import { log } from '@temporalio/activity';
import type { SendOutcome } from '../src/channels/port';
import { finishWithResults } from './batch-results';
import { channelItems, indexByRemoteId } from './channel-items';
import { BatchReporter, type ObjectFailure } from './error-reports';
import { activityStep, permanent, type ActivityStepControls } from './failures';
import {
  channelSetup,
  finishedCounts,
  ids,
  malformedFailure,
  OPEN_FOR_SENDING,
  type StockActivityDeps,
} from './stock-deps';
import type { FailedAtSend, SendBatchInput, SendBatchResult, StockActivities } from './stock-types';

/**
 * What the send step checkpoints once the channel has answered: ids and verdicts, never the raw exchange. Without
 * `outcome` it is sendPage's mark that the page is committed (progress, nothing sent yet).
 */
type ChannelAnswer = { batchPk: number; outcome?: DistributiveOmit<SendOutcome, 'exchanges'> };
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/**
 * The send step of a page whose batch is in `commit`, shared by `sendBatch` and `sendPage` (activities/send-page.ts).
 * A checkpoint of the same batch without a channel answer (the commit step's) sends the page.
 */
export function batchSender(
  deps: StockActivityDeps,
): (input: SendBatchInput, step: ActivityStepControls) => Promise<SendBatchResult> {
  const { omnitron } = deps;
  return async (input, { checkpointed, checkpoint, uninterrupted }) => {
    const batch = await omnitron.getBatch(input.channelId, input.batchPk);
    if (OPEN_FOR_SENDING.includes(batch.status) && batch.remote_batch_id) {
      return { mode: 'async', remoteBatchId: batch.remote_batch_id, sent: batch.objects.length, failed: 0 };
    }
    if (batch.status === 'done' || batch.status === 'fail') return { mode: 'sync', ...finishedCounts(batch) };
    if (batch.status !== 'commit') throw permanent('BatchNotCommitted', `batch ${batch.pk} is ${batch.status}`);

    const { adapter, catalog, settings } = await channelSetup(deps, input.channelId);
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
      {
        addProductObjects: input.addProductObjects ?? false,
        addPrice: input.addPrice ?? false,
        priceList: catalog.price_list,
      },
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
      if (previous?.batchPk === batch.pk && previous.outcome) {
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
        ...(failedAtSend.length > 0
          ? { failedAtSend: failedAtSend.map(({ pk, reason }) => ({ pk, reason }) as FailedAtSend) }
          : {}),
      };
    });
  };
}

export function sendBatchActivity(deps: StockActivityDeps): Pick<StockActivities, 'sendBatch'> {
  const send = batchSender(deps);
  return { sendBatch: (input) => activityStep((step) => send(input, step)) };
}
