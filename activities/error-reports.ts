/**
 * Omnitron error reports (the "Sales Channel Logs") for one batch, by the Stock Service's rule: a channel call gets a
 * batch-level report (`<local_batch_id>-Channel-<Command>-<ts>`, raw request "METHOD-url-body", raw response, is_ok)
 * when `is_success_log` is on or the call failed; every failed object gets one of its own; a batch that had to be
 * failed gets one saying why. Reports never carry credentials: exchanges are built without headers.
 */
import pLimit from 'p-limit';
import type { ChannelExchange } from '../src/channels/port';
import type { OmnitronClient } from '../src/omnitron/client';
import type { BatchRequest } from '../src/omnitron/schemas';

export type ChannelCommand = 'SendUpdatedStocks' | 'SendInsertedStocks' | 'CheckStocks';

export interface ObjectFailure {
  pk: number;
  message: string;
}

/** Reports are written a few at a time: a page of 1,000 failures must not open 1,000 sockets at once. */
const REPORT_CONCURRENCY = 8;

export class BatchReporter {
  constructor(
    private readonly omnitron: OmnitronClient,
    private readonly channelId: number,
    private readonly batch: Pick<BatchRequest, 'pk' | 'local_batch_id'>,
    private readonly isSuccessLog: boolean,
  ) {}

  /** One report per channel call of `command`; skipped for successful calls unless success logging is on. */
  async channelCalls(command: ChannelCommand, exchanges: readonly ChannelExchange[]): Promise<void> {
    const contentType = await this.omnitron.getContentType('batchrequest');
    for (const exchange of exchanges) {
      const ok = exchange.status >= 200 && exchange.status < 300;
      if (!ok || this.isSuccessLog) {
        await this.omnitron.createErrorReport(this.channelId, {
          action_content_type: contentType.id,
          action_object_id: this.batch.pk,
          error_code: `${this.batch.local_batch_id}-Channel-${command}-${Date.now()}`,
          error_description: ok ? `${command}: accepted` : `${command}: the channel answered ${exchange.status}`,
          raw_request: `${exchange.method}-${exchange.url}-${exchange.requestBody}`,
          raw_response: exchange.responseBody,
          is_ok: ok,
        });
      }
    }
  }

  /** One report per failed object (always: a failure is never silent). */
  async objectFailures(failures: readonly ObjectFailure[]): Promise<void> {
    if (failures.length === 0) return;
    const contentType = await this.omnitron.getContentType('productstock');
    const limit = pLimit(REPORT_CONCURRENCY);
    await Promise.all(
      failures.map((failure) =>
        limit(() =>
          this.omnitron.createErrorReport(this.channelId, {
            action_content_type: contentType.id,
            action_object_id: failure.pk,
            error_code: `${this.batch.local_batch_id}-ProductStock-${failure.pk}`,
            error_description: failure.message,
            raw_request: '',
            raw_response: '',
            is_ok: false,
          }),
        ),
      ),
    );
  }

  /** Why the batch itself was failed (a page that could not be sent, a channel that never answered, a cancel). */
  async batchFailure(reason: string): Promise<void> {
    const contentType = await this.omnitron.getContentType('batchrequest');
    await this.omnitron.createErrorReport(this.channelId, {
      action_content_type: contentType.id,
      action_object_id: this.batch.pk,
      error_code: `${this.batch.local_batch_id}-Batch-Fail-${Date.now()}`,
      error_description: reason,
      raw_request: '',
      raw_response: '',
      is_ok: false,
    });
  }
}
