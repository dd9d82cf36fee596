/**
 * Integration actions: per channel and object, its id on the channel (`remote_id`), the version handled
 * (`version_date`) and its state (`processing` while committed into a batch, then `success` or `error`). Stored ones
 * are created by batch commits; the seeded products' actions are computed (see products.ts).
 */
import { CONTENT_TYPES, type ContentTypeModel, EPOCH_ISO, iso } from './catalogue';
import type { Products } from './products';

/** Seeded PRODUCT integration actions are computed, not stored; their ids live above these. */
const VIRTUAL_ACTION_ID_BASE = 1_000_000_000;
const CHANNEL_ACTION_ID_STRIDE = 100_000_000;

export type IntegrationStatus = 'processing' | 'success' | 'error';

export interface IntegrationAction {
  /** The database id: never serialised in the spec's shape, but what `sort=id` orders by. */
  id: number;
  channel: number;
  model: ContentTypeModel;
  object_id: number;
  remote_id: string | null;
  version_date: string | null;
  status: IntegrationStatus | null;
  local_batch_id: string | null;
  created_date: string;
  modified_date: string;
}

export class IntegrationActions {
  private readonly stored = new Map<string, IntegrationAction>();
  /** local_batch_id -> the stored actions committed under it (a batch's actions are listed by it, page after page). */
  private readonly byBatch = new Map<string, Set<IntegrationAction>>();
  private seq = 0;

  constructor(private readonly products: Products) {}

  reset(): void {
    this.stored.clear();
    this.byBatch.clear();
    this.seq = 0;
  }

  private seededProductAction(channel: number, pk: number): IntegrationAction | undefined {
    const remoteId = this.products.remoteId(channel, pk);
    if (remoteId === undefined) return undefined;
    return {
      id: VIRTUAL_ACTION_ID_BASE + channel * CHANNEL_ACTION_ID_STRIDE + pk,
      channel,
      model: 'product',
      object_id: pk,
      remote_id: remoteId,
      version_date: EPOCH_ISO,
      status: 'success',
      local_batch_id: null,
      created_date: EPOCH_ISO,
      modified_date: EPOCH_ISO,
    };
  }

  /** The action of one object on a channel: a stored one, else (products) the seeded one. */
  of(channel: number, model: ContentTypeModel, objectId: number): IntegrationAction | undefined {
    return (
      this.stored.get(`${channel}:${model}:${objectId}`) ??
      (model === 'product' ? this.seededProductAction(channel, objectId) : undefined)
    );
  }

  /**
   * Candidate actions for a listing. Seeded product actions are computed, so they are listed only when the request
   * names objects (`object_id__in` / `remote_id__in`) — how the flows ask for them; a full listing shows stored ones.
   */
  candidates(channel: number, filter: { objectIds?: number[]; remoteIds?: string[]; localBatchId?: string }) {
    const { objectIds, remoteIds, localBatchId } = filter;
    if (localBatchId !== undefined && !objectIds && !remoteIds) {
      return [...(this.byBatch.get(localBatchId) ?? [])].filter((a) => a.channel === channel);
    }
    if (objectIds) {
      return objectIds.flatMap((id) =>
        CONTENT_TYPES.map((c) => this.of(channel, c.model, id)).filter((a): a is IntegrationAction => !!a),
      );
    }
    const stored = [...this.stored.values()].filter((a) => a.channel === channel);
    if (!remoteIds) return stored;
    const storedProducts = new Set(stored.filter((a) => a.model === 'product').map((a) => a.object_id));
    const seeded = remoteIds
      .map((id) => this.products.productOfRemoteId(channel, id))
      .filter((pk): pk is number => pk !== undefined && !storedProducts.has(pk))
      .map((pk) => this.seededProductAction(channel, pk))
      .filter((a): a is IntegrationAction => a !== undefined);
    return [...stored, ...seeded];
  }

  upsert(channel: number, model: ContentTypeModel, objectId: number, change: Partial<IntegrationAction>): void {
    const key = `${channel}:${model}:${objectId}`;
    let action = this.stored.get(key);
    if (!action) {
      const now = iso();
      action = {
        id: ++this.seq,
        channel,
        model,
        object_id: objectId,
        remote_id: null,
        version_date: null,
        status: 'processing',
        local_batch_id: null,
        created_date: now,
        modified_date: now,
      };
      this.stored.set(key, action);
    }
    const previousBatch = action.local_batch_id;
    Object.assign(action, change, { modified_date: iso() });
    if (action.local_batch_id !== previousBatch) {
      if (previousBatch !== null) this.byBatch.get(previousBatch)?.delete(action);
      if (action.local_batch_id !== null) {
        let actions = this.byBatch.get(action.local_batch_id);
        if (!actions) this.byBatch.set(action.local_batch_id, (actions = new Set()));
        actions.add(action);
      }
    }
  }
}
