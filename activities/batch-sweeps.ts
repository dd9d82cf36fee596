/**
 * Batches left open by someone else. Omnitron lets one batch per channel and content type sit in `commit`, so a batch
 * left there — by another deployment, by the reference implementation (which leaves a batch in `commit` when every
 * stock of its page failed), by a crash — blocks every later commit of the channel. Such a batch is failed once it is
 * stale (untouched for `staleCommitAfter`; its objects return to Omnitron), and until then the flow waits and says
 * which batch it waits for. An `initialized` batch untouched for 10 minutes is an orphan (opened by a step whose
 * reply was lost) and is failed too.
 */
import type { OmnitronClient } from '../src/omnitron/client';
import type { BatchRequest } from '../src/omnitron/schemas';
import { BatchReporter } from './error-reports';
import { recordFinishedBatch } from './metrics';
import type { CommitBlocker } from './stock-types';

const ORPHAN_AFTER_MS = 10 * 60_000;
/** A batch in `commit` this young belongs to a flow that is sending it: a conflict with it passes in seconds. */
export const BUSY_COMMIT_MS = 60_000;

/** How long a batch has sat untouched (its `modified_date`; a batch without dates counts as untouched forever). */
export function untouchedMs(batch: Pick<BatchRequest, 'modified_date' | 'created_date'>, now = Date.now()): number {
  const at = Date.parse(batch.modified_date ?? batch.created_date ?? '');
  return Number.isNaN(at) ? Infinity : now - at;
}

export function blockerOf(batch: BatchRequest): CommitBlocker {
  return { batchPk: batch.pk, since: batch.modified_date ?? batch.created_date ?? null };
}

async function failLeftOpen(omnitron: OmnitronClient, channelId: number, batch: BatchRequest, why: string) {
  await omnitron.markFail(channelId, batch.pk);
  recordFinishedBatch(channelId, { state: 'failed' });
  await new BatchReporter(omnitron, channelId, batch, true).batchFailure(why);
}

/** The channel's product-stock batch in `commit`, other than `exceptPk`, if any. */
export async function commitHolder(
  omnitron: OmnitronClient,
  channelId: number,
  exceptPk?: number,
): Promise<BatchRequest | undefined> {
  const page = await omnitron.listBatches(channelId, { status: ['commit'], content_type: 'productstock', limit: 10 });
  return page.results.find((b) => b.pk !== exceptPk);
}

/** Fails a batch left in `commit` past `staleAfterMs`, with a report saying so; true when it did. */
export async function failIfStale(
  omnitron: OmnitronClient,
  channelId: number,
  batch: BatchRequest,
  staleAfterMs: number,
): Promise<boolean> {
  const idle = untouchedMs(batch);
  if (idle < staleAfterMs) return false;
  const minutes = Number.isFinite(idle) ? `${Math.round(idle / 60_000)} minutes` : 'an unknown time';
  await failLeftOpen(
    omnitron,
    channelId,
    batch,
    `stale: left in commit for ${minutes} by another process, blocking every later commit of the channel; failed ` +
      'so its objects return to Omnitron',
  );
  return true;
}

/** At planning: fails orphaned `initialized` batches and stale `commit` ones of the channel's product stocks. */
export async function sweepLeftOpen(omnitron: OmnitronClient, channelId: number, staleAfterMs: number): Promise<void> {
  // A new batch has no content type until its commit, so `initialized` ones are listed without that filter and
  // only those with none (or product stocks) are taken: another flow's batches are not ours to fail.
  const initialized = await omnitron.listBatches(channelId, { status: ['initialized'], limit: 100 });
  for (const batch of initialized.results) {
    if ((batch.content_type ?? 'productstock') !== 'productstock' || untouchedMs(batch) < ORPHAN_AFTER_MS) continue;
    await failLeftOpen(omnitron, channelId, batch, 'orphaned: opened by a step whose reply was lost, never committed');
  }
  const holder = await commitHolder(omnitron, channelId);
  if (holder) await failIfStale(omnitron, channelId, holder, staleAfterMs);
}
