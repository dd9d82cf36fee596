/**
 * Batch requests and their state machine, as Akinon's channel-app documentation draws it:
 * `initialized -> commit (repeatable) -> sent_to_remote -> ongoing -> done | fail`, any open state straight to done or
 * fail; done and fail are final. Committing hides the objects from `updates/`/`inserts/` and creates processing
 * integration actions; only one batch per channel and content type may sit in `commit` at a time.
 */
import { randomUUID } from 'node:crypto';
import { type Catalogue, iso } from './catalogue';
import { badRequest, notFound } from './http-helpers';
import type { IntegrationActions } from './integration-actions';
import type { ProductStocks } from './product-stocks';

export const BATCH_STATUSES = ['initialized', 'commit', 'sent_to_remote', 'ongoing', 'done', 'fail'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

const NEXT_STATUSES: Record<BatchStatus, readonly BatchStatus[]> = {
  initialized: ['commit', 'done', 'fail'],
  commit: ['commit', 'sent_to_remote', 'done', 'fail'],
  sent_to_remote: ['ongoing', 'done', 'fail'],
  ongoing: ['ongoing', 'done', 'fail'],
  done: [],
  fail: [],
};

export interface BatchObject {
  pk: number;
  content_type: string;
  version_date: string | null;
  remote_id: string | null;
  failed_reason_type: string | null;
}

export interface BatchRequest {
  pk: number;
  channel: number;
  local_batch_id: string;
  remote_batch_id: string | null;
  content_type: string | null;
  status: BatchStatus;
  objects: BatchObject[];
  created_date: string;
  modified_date: string;
  /** Not serialised: ProductStock pk -> quantity at commit (what becomes "sent" when done). */
  committed: Map<number, number>;
}

export interface BatchObjectUpdate {
  pk: number;
  remote_id?: string | null;
  failed_reason_type?: string | null;
  version_date?: string | null;
  content_type?: string;
}

export interface BatchUpdate {
  status: BatchStatus;
  content_type?: string | null;
  remote_batch_id?: string | null;
  objects?: BatchObjectUpdate[] | null;
}

export class BatchRequests {
  /** Map order is creation order. */
  readonly all = new Map<number, BatchRequest>();
  private seq = 0;

  constructor(
    private readonly model: Catalogue,
    private readonly stocks: ProductStocks,
    private readonly actions: IntegrationActions,
  ) {}

  reset(): void {
    this.all.clear();
    this.seq = 0;
  }

  create(channel: number, contentType: string | null): BatchRequest {
    if (!this.model.channels.has(channel)) throw notFound();
    const now = iso();
    const batch: BatchRequest = {
      pk: ++this.seq,
      channel,
      local_batch_id: randomUUID(),
      remote_batch_id: null,
      content_type: contentType,
      status: 'initialized',
      objects: [],
      created_date: now,
      modified_date: now,
      committed: new Map(),
    };
    this.all.set(batch.pk, batch);
    return batch;
  }

  get(channel: number, pk: number): BatchRequest {
    const batch = this.all.get(pk);
    if (!batch || batch.channel !== channel) throw notFound();
    return batch;
  }

  update(channel: number, pk: number, update: BatchUpdate): BatchRequest {
    const batch = this.get(channel, pk);
    if (!NEXT_STATUSES[batch.status].includes(update.status)) {
      throw badRequest({
        non_field_errors: [`Batch request cannot be updated (${batch.status} -> ${update.status}).`],
      });
    }
    switch (update.status) {
      case 'commit':
        this.commit(batch, update);
        break;
      case 'sent_to_remote':
        if (!update.remote_batch_id) throw badRequest({ remote_batch_id: ['This field is required.'] });
        batch.remote_batch_id = update.remote_batch_id;
        break;
      case 'done':
        this.finish(batch, update.objects ?? []);
        break;
      case 'fail':
        this.finish(batch, undefined);
        break;
    }
    batch.status = update.status;
    batch.modified_date = iso();
    return batch;
  }

  /** Creates processing integration actions and hides the objects from `inserts/`/`updates/` until done or fail. */
  private commit(batch: BatchRequest, update: BatchUpdate): void {
    const contentType = update.content_type ?? batch.content_type;
    if (contentType !== 'productstock') throw badRequest({ content_type: ['Only "productstock" is supported.'] });
    const other = [...this.all.values()].find(
      (b) =>
        b.pk !== batch.pk && b.channel === batch.channel && b.status === 'commit' && b.content_type === contentType,
    );
    if (other) {
      throw badRequest({ non_field_errors: [`Batch request ${other.pk} of this content type is already in commit.`] });
    }
    const objects = (update.objects ?? []).map((o) => {
      const decoded = this.stocks.decode(o.pk);
      if (!decoded) throw badRequest({ objects: [`Product stock ${o.pk} does not exist.`] });
      const holder = this.stocks.of(batch.channel, decoded[0]).hidden.get(decoded[1]);
      if (holder !== undefined && holder !== batch.pk) {
        throw badRequest({ objects: [`Product stock ${o.pk} is in batch request ${holder}.`] });
      }
      return { object: o, decoded };
    });
    batch.content_type = contentType;
    for (const { object, decoded } of objects) {
      const [listOrdinal, skuIndex] = decoded;
      const pending = this.stocks.of(batch.channel, listOrdinal);
      if (!batch.committed.has(object.pk)) {
        batch.objects.push({
          pk: object.pk,
          content_type: contentType,
          version_date: object.version_date ?? null,
          remote_id: null,
          failed_reason_type: null,
        });
      }
      batch.committed.set(object.pk, this.model.aggregate(listOrdinal, skuIndex)?.stock ?? 0);
      pending.hidden.set(skuIndex, batch.pk);
      this.stocks.classify(pending, listOrdinal, skuIndex);
      this.actions.upsert(batch.channel, 'productstock', object.pk, {
        status: 'processing',
        local_batch_id: batch.local_batch_id,
      });
    }
  }

  /**
   * done (`reported` given): each committed object succeeds unless it carries a failed_reason_type or is missing from
   * the report (an object nobody reported on was not sent); successes count as sent with their committed quantity.
   * fail (`reported` undefined): every object's action becomes error and reappears in fetches at once; an object that
   * failed in a done batch reappears only once its quantity changes (see ChannelStockList.failed).
   */
  private finish(batch: BatchRequest, reported: BatchObjectUpdate[] | undefined): void {
    const byPk = new Map((reported ?? []).map((o) => [o.pk, o]));
    for (const pk of byPk.keys()) {
      if (!batch.committed.has(pk)) throw badRequest({ objects: [`Object ${pk} is not in this batch request.`] });
    }
    for (const object of batch.objects) {
      const report = byPk.get(object.pk);
      const success = report !== undefined && !report.failed_reason_type;
      if (reported) {
        object.remote_id = report?.remote_id ?? object.remote_id;
        object.failed_reason_type = report ? (report.failed_reason_type ?? null) : 'channel_app';
        object.version_date = report?.version_date ?? object.version_date;
      }
      const decoded = this.stocks.decode(object.pk);
      if (!decoded) continue;
      const [listOrdinal, skuIndex] = decoded;
      const pending = this.stocks.of(batch.channel, listOrdinal);
      const committedQuantity = batch.committed.get(object.pk) ?? 0;
      if (success) pending.sent[skuIndex] = committedQuantity;
      pending.failed[skuIndex] = reported && !success ? committedQuantity : -1;
      if (pending.hidden.get(skuIndex) === batch.pk) pending.hidden.delete(skuIndex);
      this.stocks.classify(pending, listOrdinal, skuIndex);
      const previous = this.actions.of(batch.channel, 'productstock', object.pk);
      this.actions.upsert(batch.channel, 'productstock', object.pk, {
        status: success ? 'success' : 'error',
        remote_id: report?.remote_id ?? previous?.remote_id ?? null,
        version_date: success ? (report?.version_date ?? iso()) : (previous?.version_date ?? null),
      });
    }
  }
}
