/**
 * Omnitron error reports (the "Sales Channel Logs") for one batch, by the Stock Service's rule: a channel call gets a
 * batch-level report (`<local_batch_id>-Channel-<Command>-<ts>`, raw request "METHOD-url-body", raw response, is_ok)
 * when `is_success_log` is on or the call failed; every failed object gets one of its own; a batch that had to be
 * failed gets one saying why. Reports never carry credentials: exchanges are built without headers.
 *
 * Every report carries the ten fields the reference implementation sends, named as the spec names them: the action
 * (batch request or product stock), the target (the channel, as the reference defaults it: `target_object_id` is the
 * channel id as a string), `obj_modified_date` (the stock's version for a stock, the time of writing otherwise),
 * `error_code`, `error_desc`, raw request and response, `is_ok`.
 */
import type { ChannelExchange } from '../src/channels/port';
import type { OmnitronClient } from '../src/omnitron/client';
import type { BatchRequest, ErrorReportInput, FailedReasonType } from '../src/omnitron/schemas';
import { eachUntilFailure } from './failures';

export type ChannelCommand = 'SendUpdatedStocks' | 'SendInsertedStocks' | 'CheckStocks';

export interface ObjectFailure {
  pk: number;
  message: string;
  reason: FailedReasonType;
}

/** Reports are written a few at a time: a page of 1,000 failures must not open 1,000 sockets at once. */
const REPORT_CONCURRENCY = 8;

export class BatchReporter {
  /** The committed version of each object: a stock report's `obj_modified_date`. */
  private readonly versions: ReadonlyMap<number, string | null>;

  constructor(
    private readonly omnitron: OmnitronClient,
    private readonly channelId: number,
    private readonly batch: Pick<BatchRequest, 'pk' | 'local_batch_id' | 'objects'>,
    private readonly isSuccessLog: boolean,
  ) {
    this.versions = new Map(batch.objects.map((o) => [o.pk, o.version_date]));
  }

  /** One report per channel call of `command`; skipped for successful calls unless success logging is on. */
  async channelCalls(command: ChannelCommand, exchanges: readonly ChannelExchange[]): Promise<void> {
    for (const exchange of exchanges) {
      const ok = exchange.status >= 200 && exchange.status < 300;
      if (ok && !this.isSuccessLog) continue;
      await this.write('batchrequest', this.batch.pk, {
        error_code: `${this.batch.local_batch_id}-Channel-${command}-${Date.now()}`,
        error_desc: ok ? `${command}: accepted` : `${command}: the channel answered ${exchange.status}`,
        raw_request: `${exchange.method}-${exchange.url}-${exchange.requestBody}`,
        raw_response: exchange.responseBody,
        is_ok: ok,
      });
    }
  }

  /** One report per failed object (always: a failure is never silent). */
  async objectFailures(failures: readonly ObjectFailure[]): Promise<void> {
    await eachUntilFailure(REPORT_CONCURRENCY, failures, (failure) =>
      this.write(
        'productstock',
        failure.pk,
        {
          error_code: `${this.batch.local_batch_id}-ProductStock-${failure.pk}`,
          error_desc: failure.message,
          raw_request: '',
          raw_response: `${failure.reason}-${failure.message}`,
          is_ok: false,
        },
        this.versions.get(failure.pk),
      ),
    );
  }

  /** Why the batch itself was failed (a page that could not be sent, a channel that never answered, a cancel). */
  async batchFailure(reason: string): Promise<void> {
    await this.write('batchrequest', this.batch.pk, {
      error_code: `${this.batch.local_batch_id}-Batch-Fail-${Date.now()}`,
      error_desc: reason,
      raw_request: '',
      raw_response: '',
      is_ok: false,
    });
  }

  private write(
    action: 'batchrequest' | 'productstock',
    objectId: number,
    report: ReportText,
    modifiedDate?: string | null,
  ): Promise<void> {
    return writeErrorReport(this.omnitron, this.channelId, { action, objectId, modifiedDate }, report);
  }
}

/** What a report says; the rest of its ten fields name the action, the channel and the time. */
export type ReportText = Pick<ErrorReportInput, 'error_code' | 'error_desc' | 'raw_request' | 'raw_response' | 'is_ok'>;

/** One error report about `action` (a batch, a stock, a product) of the channel, targeted at the channel. */
export async function writeErrorReport(
  omnitron: OmnitronClient,
  channelId: number,
  about: { action: 'batchrequest' | 'productstock' | 'product'; objectId: number; modifiedDate?: string | null },
  report: ReportText,
): Promise<void> {
  const [actionType, channelType] = await Promise.all([
    omnitron.getContentType(about.action),
    omnitron.getContentType('channel'),
  ]);
  await omnitron.createErrorReport(channelId, {
    action_content_type: actionType.pk,
    action_object_id: about.objectId,
    target_content_type: channelType.pk,
    target_object_id: String(channelId),
    obj_modified_date: about.modifiedDate ?? new Date().toISOString(),
    ...report,
  });
}
