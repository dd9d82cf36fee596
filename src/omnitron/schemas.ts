/** Zod schemas of the Omnitron resources the stock flows use (reference: omnitron-integration.md). */
import { z } from 'zod';
import { drfPageSchema } from '../shared/drf-page';

export const loginResponseSchema = z.object({ key: z.string().min(1) });

export const channelSchema = z.object({
  pk: z.number().int(),
  name: z.string(),
  channel_type: z.string(),
  is_active: z.boolean(),
  catalog: z.number().int().nullable(),
  conf: z.looseObject({
    /** Stock-list id (as a string) -> the channel's warehouse code. */
    WAREHOUSE_CODES: z.record(z.string(), z.string()).optional(),
    /** Product attribute path (split on `__`) that identifies the product on the channel. */
    remote_id_attribute: z.string().nullable().optional(),
  }),
});
export type Channel = z.infer<typeof channelSchema>;

export const catalogSchema = z.object({
  pk: z.number().int(),
  name: z.string(),
  stock_list: z.number().int(),
  extra_stock_lists: z.array(z.number().int()),
  price_list: z.number().int().nullable(),
});
export type Catalog = z.infer<typeof catalogSchema>;

export const productStockSchema = z.object({
  pk: z.number().int(),
  product: z.number().int(),
  /** Salable quantity. */
  stock: z.number().int(),
  stock_list: z.number().int(),
  unit_type: z.enum(['qty', 'kg']),
  extra_field: z.record(z.string(), z.unknown()).nullable(),
  /** Reserved quantity not yet reported to the ERP. */
  sold_quantity_unreported: z.number().int(),
  modified_date: z.string(),
  created_date: z.string().optional(),
});
export type ProductStock = z.infer<typeof productStockSchema>;

/** Envelope only: records are validated one by one so one bad record cannot sink its page. */
export const looseProductStockPageSchema = drfPageSchema(z.unknown());

export const INTEGRATION_STATUSES = ['processing', 'success', 'error'] as const;
export type IntegrationStatus = (typeof INTEGRATION_STATUSES)[number];

export const contentTypeSchema = z.object({ id: z.number().int(), app_label: z.string(), model: z.string() });
export type ContentType = z.infer<typeof contentTypeSchema>;

export const integrationActionSchema = z.object({
  pk: z.number().int(),
  channel: z.number().int(),
  content_type: z.object({ model: z.string() }).loose(),
  object_id: z.number().int(),
  remote_id: z.string().nullable(),
  version_date: z.string().nullable(),
  status: z.enum(INTEGRATION_STATUSES),
  local_batch_id: z.string().nullable(),
});
export type IntegrationAction = z.infer<typeof integrationActionSchema>;

export const BATCH_STATUSES = ['initialized', 'commit', 'sent_to_remote', 'ongoing', 'done', 'fail'] as const;
export type BatchRequestStatus = (typeof BATCH_STATUSES)[number];

export const FAILED_REASON_TYPES = ['mapping', 'remote', 'channel_app'] as const;
export type FailedReasonType = (typeof FAILED_REASON_TYPES)[number];

export const batchObjectSchema = z.object({
  pk: z.number().int(),
  failed_reason_type: z.enum(FAILED_REASON_TYPES).nullable().optional(),
  remote_id: z.string().nullable().optional(),
  version_date: z.string().nullable().optional(),
  content_type: z.string().optional(),
});
export type BatchObject = z.infer<typeof batchObjectSchema>;

export const batchRequestSchema = z.object({
  pk: z.number().int(),
  channel: z.number().int(),
  local_batch_id: z.string(),
  remote_batch_id: z.string().nullable(),
  content_type: z.string().nullable(),
  status: z.enum(BATCH_STATUSES),
  objects: z.array(batchObjectSchema),
  created_date: z.string(),
  modified_date: z.string(),
});
export type BatchRequest = z.infer<typeof batchRequestSchema>;

export const errorReportSchema = z.object({
  pk: z.number().int(),
  channel: z.number().int(),
  action_content_type: z.number().int(),
  action_object_id: z.number().int(),
  error_code: z.string(),
  error_description: z.string(),
  raw_request: z.string(),
  raw_response: z.string(),
  is_ok: z.boolean(),
  created_date: z.string(),
});
export type ErrorReport = z.infer<typeof errorReportSchema>;
export type ErrorReportInput = Omit<ErrorReport, 'pk' | 'channel' | 'created_date'>;

export const productSchema = z.object({
  pk: z.number().int(),
  sku: z.string(),
  name: z.string(),
  base_code: z.string().nullable().optional(),
  attributes: z.record(z.string(), z.unknown()),
});
export type Product = z.infer<typeof productSchema>;

/** DRF serialises decimals as strings. */
export const extraProductPriceSchema = z.object({
  pk: z.number().int(),
  product: z.number().int(),
  price_list: z.number().int(),
  price: z.string(),
  retail_price: z.string().nullable(),
  currency_type: z.string(),
});
export type ExtraProductPrice = z.infer<typeof extraProductPriceSchema>;
