/**
 * How the sandbox's Omnitron answers its records: in the shapes of Akinon's official OpenAPI pages (see
 * shared/reference/omnitron-openapi.md), where they differ from what the reference implementation's mocks show —
 * channels and error reports keyed `id`, integration actions without a key and with a nested channel, prices keyed
 * `id` with JSON numbers, a batch without objects answering `objects: null`. Clients must read both shapes; the
 * sandbox speaks the official one, so a client that assumes the other fails here first.
 */
import type { BatchRequest } from './batch-requests';
import { type Catalogue, CONTENT_TYPES } from './catalogue';
import type { ErrorReport } from './error-reports';
import type { IntegrationAction } from './integration-actions';
import type { ProductPrice } from './products';

export function batchJson(batch: BatchRequest) {
  const json: Partial<BatchRequest> = { ...batch };
  delete json.committed;
  return { ...json, objects: batch.objects.length > 0 ? batch.objects : null };
}

export function channelJson(model: Catalogue, id: number) {
  return model.channels.get(id);
}

export function integrationActionJson(model: Catalogue, action: IntegrationAction) {
  const { channel, model: contentModel, ...rest } = action;
  return {
    ...withoutKey(rest),
    channel: channelJson(model, channel) ?? null,
    content_type: { ...CONTENT_TYPES.find((c) => c.model === contentModel) },
    state: {},
  };
}

/** The record without the channel it was posted under (the URL names it; the spec's record has no such field). */
export function errorReportJson(report: ErrorReport) {
  const json: Partial<ErrorReport> = { ...report };
  delete json.channel;
  return json;
}

/** The spec's integration action shows no key: the database id stays inside. */
function withoutKey<T extends { id: number }>(record: T): Omit<T, 'id'> {
  const json: Partial<T> = { ...record };
  delete json.id;
  return json as Omit<T, 'id'>;
}

export function priceJson(price: ProductPrice) {
  return {
    ...price,
    tax_rate: 20,
    discount_percentage: 0,
    currency_type: 'try',
    price_type: 'default',
    extra_field: null,
  };
}
