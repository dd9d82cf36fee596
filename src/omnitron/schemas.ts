/**
 * Zod schemas of the Omnitron resources the stock flows use. Read tolerantly: Akinon's official OpenAPI pages and the
 * reference implementation (`akinon/channel_app`, its mocks) disagree on several shapes, and both are accepted —
 * records keyed `pk` or `id`, a channel as an id or a nested object, ids and remote ids as numbers or strings,
 * decimals as numbers or strings, nullable lists as null. Every record comes out in ONE shape (keyed `pk`), so nothing
 * past this module knows there were two. Fields the flows do not use are not required. (README, "Contracts".)
 */
import { z } from 'zod';
import { drfPageSchema } from '../shared/drf-page';

/** An integer id as a JSON number or a numeric string (the reference sends channel ids as strings). */
const intish = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/, 'expected an integer')
    .transform(Number),
]);
/** A remote id: a string, or a number some serialisers answer (batch objects in the reference's mocks). */
const remoteIdish = z.union([z.string(), z.number()]).transform(String);
/** A decimal as a JSON number (the spec) or a decimal string (DRF's default, the reference's mocks). */
const decimal = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/, 'expected a decimal')
    .transform(Number),
]);
/** Something that refers to another record: its id, or the record itself with its `id`/`pk`. */
const reference = z.union([
  intish,
  z.looseObject({ id: intish.optional(), pk: intish.optional() }).transform((r) => r.id ?? r.pk),
]);

/** `pk` or `id`, whichever the serialiser answers, as `pk`. */
function keyed<S extends z.ZodRawShape>(shape: S) {
  return z
    .looseObject({ pk: intish.optional(), id: intish.optional(), ...shape })
    .refine((r) => r.pk !== undefined || r.id !== undefined, { message: 'expected a "pk" or an "id"', path: ['pk'] })
    .transform((record) => ({ ...record, pk: (record.pk ?? record.id) as number }));
}

export const loginResponseSchema = z.object({ key: z.string().min(1) });

/** `WAREHOUSE_CODES`: stock-list id (as a string) -> the channel's warehouse code; a JSON string of that is read too. */
const warehouseCodes = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  },
  z.record(z.string(), z.union([z.string(), z.number()]).transform(String)),
);

export const channelSchema = keyed({
  name: z.string().optional(),
  is_active: z.boolean(),
  catalog: intish.nullable(),
  conf: z
    .looseObject({
      WAREHOUSE_CODES: warehouseCodes.nullish(),
      /** Product attribute path (split on `__`) that identifies the product on the channel; absent: the remote id. */
      remote_id_attribute: z.string().nullish(),
    })
    .nullish()
    .transform((conf) => conf ?? {}),
});
export type Channel = z.infer<typeof channelSchema>;

export const catalogSchema = keyed({
  stock_list: intish.nullable(),
  extra_stock_lists: z
    .array(intish)
    .nullish()
    .transform((lists) => lists ?? []),
  price_list: intish.nullish().transform((id) => id ?? null),
});
export type Catalog = z.infer<typeof catalogSchema>;

/** The fields the flows use are required; the rest of the spec's ProductStock is kept as it comes. */
export const productStockSchema = z.looseObject({
  pk: intish,
  product: intish,
  /** Salable quantity. */
  stock: z.number().int(),
  /** The version a commit names (`version_date`). */
  modified_date: z.string(),
  stock_list: intish.optional(),
  unit_type: z.string().optional(),
  sold_quantity_unreported: z.number().int().optional(),
});
export type ProductStock = z.infer<typeof productStockSchema>;

/** Envelope only: records are validated one by one so one bad record cannot sink its page. */
export const looseProductStockPageSchema = drfPageSchema(z.unknown());

export const INTEGRATION_STATUSES = ['processing', 'success', 'error'] as const;
export type IntegrationStatus = (typeof INTEGRATION_STATUSES)[number];

export const contentTypeSchema = keyed({ model: z.string() });
export type ContentType = z.infer<typeof contentTypeSchema>;

/**
 * An integration action: the spec's example has no key and a nested channel; the reference's mocks a `pk` and an int
 * channel, `status`/`local_batch_id` null, sometimes a plain-string content type. Read as `{model, object_id, ...}`.
 */
export const integrationActionSchema = z
  .looseObject({
    channel: reference.optional(),
    content_type: z.union([z.string(), z.looseObject({ model: z.string() }).transform((c) => c.model)]),
    object_id: intish,
    remote_id: remoteIdish.nullish().transform((id) => id ?? null),
    version_date: z
      .string()
      .nullish()
      .transform((date) => date ?? null),
    status: z
      .string()
      .nullish()
      .transform((status) => status ?? null),
    local_batch_id: z
      .string()
      .nullish()
      .transform((id) => id ?? null),
  })
  .transform(({ content_type: model, ...action }) => ({ ...action, model }));
export type IntegrationAction = z.infer<typeof integrationActionSchema>;

export const BATCH_STATUSES = ['initialized', 'commit', 'sent_to_remote', 'ongoing', 'done', 'fail'] as const;
export type BatchRequestStatus = (typeof BATCH_STATUSES)[number];

/** The spec enumerates these for failed integrations; batch objects take any string (the reference writes them). */
export type FailedReasonType = 'mapping' | 'remote' | 'channel_app';

/** A batch object as read: the spec's fields, each nullable; a remote id may come back as a number. */
export const batchObjectSchema = z.looseObject({
  pk: intish,
  failed_reason_type: z
    .string()
    .nullish()
    .transform((reason) => reason || null),
  remote_id: remoteIdish.nullish().transform((id) => id ?? null),
  version_date: z
    .string()
    .nullish()
    .transform((date) => date ?? null),
  content_type: z.string().nullish(),
});
export type BatchObjectRead = z.infer<typeof batchObjectSchema>;

/**
 * A batch object as written on `done` (and `commit`): all five keys, as the reference implementation sends them.
 * `failed_reason_type` null means the object went through.
 */
export interface BatchObject {
  pk: number;
  failed_reason_type: FailedReasonType | null;
  remote_id: string | null;
  version_date: string | null;
  content_type: string;
}

/** A product-stock batch object with every key; what is not given is null (nothing failed, no remote id). */
export function batchObject(pk: number, fields: Partial<Omit<BatchObject, 'pk'>> = {}): BatchObject {
  return { pk, failed_reason_type: null, remote_id: null, version_date: null, content_type: 'productstock', ...fields };
}

export const batchRequestSchema = keyed({
  channel: reference.optional(),
  local_batch_id: z.string(),
  remote_batch_id: remoteIdish.nullish().transform((id) => id ?? null),
  content_type: z
    .string()
    .nullish()
    .transform((type) => type ?? null),
  status: z.enum(BATCH_STATUSES),
  objects: z
    .array(batchObjectSchema)
    .nullish()
    .transform((objects) => objects ?? []),
  created_date: z.string().optional(),
  modified_date: z.string().optional(),
});
export type BatchRequest = z.infer<typeof batchRequestSchema>;

/** An error report as listed (the spec's record: keyed `id`, `error_desc`, `target_object_id` a string). */
export const errorReportSchema = keyed({
  action_content_type: intish.optional(),
  action_object_id: intish.optional(),
  error_code: z.string(),
  error_desc: z.string().nullish(),
  raw_request: z.string().nullish(),
  raw_response: z.string().nullish(),
  is_ok: z.boolean().optional(),
});
export type ErrorReport = z.infer<typeof errorReportSchema>;

/**
 * What a report is created with: exactly the ten fields the reference implementation always sends, named as the
 * spec names them (`error_desc`, not `error_description`); the target is the channel, as the reference defaults it.
 */
export interface ErrorReportInput {
  action_content_type: number;
  action_object_id: number;
  target_content_type: number;
  target_object_id: string;
  obj_modified_date: string;
  error_code: string;
  error_desc: string;
  raw_request: string;
  raw_response: string;
  is_ok: boolean;
}

/** A channel product: the whole record is kept, so `conf.remote_id_attribute` may name any path in it. */
export const productSchema = keyed({ sku: z.string() });
export type Product = z.infer<typeof productSchema>;

export const extraProductPriceSchema = keyed({
  product: intish,
  price_list: intish.optional(),
  price: decimal,
  retail_price: decimal.nullish(),
});
export type ExtraProductPrice = z.infer<typeof extraProductPriceSchema>;
