/**
 * Finishing a batch from the channel's per-item results, as the reference implementation's batch processing does:
 * each object is matched to its result by its identity on the channel (see channel-items.ts); an object with no
 * result failed "not sent from the channel"; a failed result fails it with the channel's message. The batch goes
 * `done` with every object's five keys, then every failure gets its report.
 */
import type { ItemResult } from '../src/channels/port';
import type { OmnitronClient } from '../src/omnitron/client';
import { type BatchObject, type BatchRequest, batchObject } from '../src/omnitron/schemas';
import type { BatchReporter, ObjectFailure } from './error-reports';
import { recordFinishedBatch } from './metrics';
import type { BatchRef } from './stock-types';

export interface BatchResults {
  /** Remote id (identity on the channel) -> the object pks sent under it. */
  pkByRemoteId: ReadonlyMap<string, readonly number[]>;
  results: readonly ItemResult[];
  /** Objects that failed before the channel saw them (no identity, no price, malformed), with their reason. */
  failedBeforeSend: readonly ObjectFailure[];
  /** Objects whose failure was reported already (at send): settled now, reported once. */
  reportedAtSend?: ReadonlySet<number>;
  /** What a sent object without a result came to, when the channel names only exceptions (BatchCheck `unnamed`). */
  unnamed?: Pick<ItemResult, 'status' | 'message'>;
}

export async function finishWithResults(
  omnitron: OmnitronClient,
  ref: BatchRef,
  batch: BatchRequest,
  reporter: BatchReporter,
  { pkByRemoteId, results, failedBeforeSend, reportedAtSend = new Set(), unnamed }: BatchResults,
): Promise<{ succeeded: number; failed: number }> {
  const versions = new Map(batch.objects.map((o) => [o.pk, o.version_date]));
  const outcome = new Map<number, BatchObject>();
  const failures: ObjectFailure[] = [];
  const settle = (pk: number, remoteId: string | null, failure?: ObjectFailure) => {
    outcome.set(
      pk,
      batchObject(pk, {
        failed_reason_type: failure?.reason ?? null,
        remote_id: remoteId,
        version_date: versions.get(pk),
      }),
    );
    if (failure) failures.push(failure);
  };
  for (const failure of failedBeforeSend) settle(failure.pk, null, failure);
  for (const result of results) {
    for (const pk of pkByRemoteId.get(result.remoteId) ?? []) {
      if (result.status === 'success') settle(pk, result.remoteId);
      else settle(pk, result.remoteId, { pk, message: result.message ?? 'failed at the channel', reason: 'remote' });
    }
  }
  if (unnamed) {
    for (const [remoteId, pks] of pkByRemoteId) {
      for (const pk of pks) {
        if (outcome.has(pk)) continue;
        if (unnamed.status === 'success') settle(pk, remoteId);
        else settle(pk, remoteId, { pk, message: unnamed.message ?? 'failed at the channel', reason: 'remote' });
      }
    }
  }
  for (const object of batch.objects) {
    if (!outcome.has(object.pk)) {
      settle(object.pk, null, { pk: object.pk, message: 'not sent from the channel', reason: 'remote' });
    }
  }
  await omnitron.markDone(ref.channelId, ref.batchPk, [...outcome.values()]);
  await reporter.objectFailures(failures.filter((f) => !reportedAtSend.has(f.pk)));
  const counts = { succeeded: outcome.size - failures.length, failed: failures.length };
  recordFinishedBatch(ref.channelId, { state: 'done', ...counts });
  return counts;
}
