/**
 * The configuration fields every channel adapter shares. Each adapter's folder defines its own zod schema from these
 * (its `adapter` literal, credentials, options); the registry composes them into one discriminated union.
 */
import { z } from 'zod';
import type { ChannelLimits } from './port';

const limitsOverride = z
  .object({
    itemsPerRequest: z.number().int().positive(),
    requestsPerSecond: z.number().positive(),
    maxQuantity: z.number().int().positive(),
    readItemsPerRequest: z.number().int().positive(),
  })
  .partial()
  .strict();

/** Credentials travel in headers only; a URL with user:password@ would leak them into exchanges and errors. */
export const httpURL = z
  .url({ protocol: /^https?$/ })
  .refine((u) => !new URL(u).username && !new URL(u).password, 'must not carry credentials');

export const commonChannelFields = {
  baseURL: httpURL,
  /** Per-request timeout; a timeout is a retryable NetworkError. */
  timeoutMs: z.number().int().positive().optional(),
  /** Overrides of the adapter's documented limits (limits change; they belong in configuration). */
  limits: limitsOverride.optional(),
};

/** What an adapter's constructor takes: its parsed configuration, with the limits resolved. */
export type AdapterOptions<Schema extends z.ZodType> = Omit<z.output<Schema>, 'adapter' | 'limits'> & {
  limits: ChannelLimits;
};
