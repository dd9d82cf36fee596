/**
 * How the sandbox processes an uploaded JSON_LISTINGS_FEED, by the published v2 feed and processing-report schemas:
 * the header and message count decide whether the feed is processed at all (else FATAL with one feed-level issue);
 * then every message is judged on its own (an ERROR issue naming its messageId and sku makes it invalid) and the
 * accepted ones are applied. Only what stock sync sends is implemented: PATCH on `/attributes/fulfillment_availability`
 * with the DEFAULT channel; anything else valid by the schema is refused as UNSUPPORTED_BY_SANDBOX. The issue codes
 * are the sandbox's own (Amazon documents none for these cases).
 */
import { z } from 'zod';

export const MAX_MESSAGES = 25_000;
/** Amazon's integers are 32-bit; the schema's only bound on quantity is `minimum: 0`. */
export const MAX_QUANTITY = 2_147_483_647;
const INCLUDED_DATA = [
  'summaries',
  'attributes',
  'issues',
  'offers',
  'fulfillmentAvailability',
  'procurement',
  'relationships',
  'productTypes',
] as const;

const header = z.object({
  sellerId: z.string(),
  version: z.literal('2.0'),
  issueLocale: z.string().optional(),
  report: z
    .object({ includedData: z.array(z.enum(INCLUDED_DATA)).min(1), apiVersion: z.literal('2021-08-01') })
    .optional(),
});
const feedDocument = z.object({ header, messages: z.array(z.unknown()).min(1) });

const patchMessage = z.object({
  messageId: z.number().int().min(1).max(2_147_483_647),
  sku: z.string().min(1),
  operationType: z.literal('PATCH'),
  productType: z.string().min(1),
  requirements: z.never().optional(),
  attributes: z.never().optional(),
  patches: z
    .array(
      z.object({
        op: z.enum(['add', 'replace', 'merge', 'delete']),
        path: z.string(),
        value: z.array(z.record(z.string(), z.unknown())).optional(),
      }),
    )
    .min(1),
});
const OPERATION_TYPES = new Set(['UPDATE', 'PARTIAL_UPDATE', 'PATCH', 'DELETE']);

export interface ReportIssue {
  messageId?: number;
  sku?: string;
  code: string;
  severity: 'ERROR' | 'WARNING' | 'INFO';
  message: string;
}

export interface ProcessedFeed {
  status: 'DONE' | 'FATAL';
  report: object;
  applied: { remoteId: string; quantity: number }[];
  invalid: number;
}

export function processFeed(
  feedId: string,
  content: string,
  seller: { sellerId: string; marketplaceId: string; isListed: (sku: string) => boolean },
): ProcessedFeed {
  const parsed = feedDocument.safeParse(parseJson(content));
  const fatal = (message: string): ProcessedFeed => ({
    status: 'FATAL',
    report: report(feedId, seller.sellerId, undefined, [{ code: 'INVALID_FEED', severity: 'ERROR', message }], 0, 0),
    applied: [],
    invalid: 0,
  });
  if (!parsed.success) return fatal('The feed does not follow the JSON_LISTINGS_FEED v2 schema (header, messages).');
  const { header: head, messages } = parsed.data;
  if (head.sellerId !== seller.sellerId) return fatal(`The header's sellerId ${head.sellerId} is not this seller.`);
  if (messages.length > MAX_MESSAGES) return fatal(`A feed takes at most ${MAX_MESSAGES} messages.`);

  const issues: ReportIssue[] = [];
  const accepted = new Map<string, number>();
  const seen = new Set<number>();
  for (const raw of messages) {
    const verdict = judge(raw, seen, seller.isListed);
    if ('issue' in verdict) issues.push(verdict.issue);
    else accepted.set(verdict.sku, verdict.quantity);
  }
  const applied = [...accepted].map(([remoteId, quantity]) => ({ remoteId, quantity }));
  const items = head.report
    ? applied.map((a) => listingItem(a.remoteId, a.quantity, head.report!.includedData, seller.marketplaceId))
    : undefined;
  return {
    status: 'DONE',
    report: report(feedId, seller.sellerId, head.report, issues, messages.length, accepted.size, items),
    applied,
    invalid: messages.length - accepted.size,
  };
}

function judge(
  raw: unknown,
  seen: Set<number>,
  isListed: (sku: string) => boolean,
): { issue: ReportIssue } | { sku: string; quantity: number } {
  const fields = (typeof raw === 'object' && raw !== null ? raw : {}) as { messageId?: unknown; sku?: unknown };
  const who = {
    ...(typeof fields.messageId === 'number' ? { messageId: fields.messageId } : {}),
    ...(typeof fields.sku === 'string' && fields.sku ? { sku: fields.sku } : {}),
  };
  const issue = (code: string, message: string) => ({ issue: { ...who, code, severity: 'ERROR' as const, message } });
  const type = (fields as { operationType?: unknown }).operationType;
  if (typeof type === 'string' && OPERATION_TYPES.has(type) && type !== 'PATCH') {
    return issue('UNSUPPORTED_BY_SANDBOX', `The sandbox implements only PATCH messages, not ${type}.`);
  }
  const message = patchMessage.safeParse(raw);
  if (!message.success) {
    const where = message.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
    return issue('INVALID_MESSAGE', `The message does not follow the feed schema: ${where}`);
  }
  const { messageId, sku, patches } = message.data;
  if (seen.has(messageId)) return issue('DUPLICATE_MESSAGE_ID', `messageId ${messageId} is used twice in this feed.`);
  seen.add(messageId);
  let quantity: number | undefined;
  for (const patch of patches) {
    if (patch.path !== '/attributes/fulfillment_availability' || patch.op === 'delete') {
      return issue(
        'UNSUPPORTED_BY_SANDBOX',
        `The sandbox implements only add/replace/merge of fulfillment_availability.`,
      );
    }
    for (const entry of patch.value ?? []) {
      if (entry.fulfillment_channel_code !== 'DEFAULT') {
        return issue('UNSUPPORTED_BY_SANDBOX', 'The sandbox implements only fulfillment_channel_code DEFAULT.');
      }
      const q = entry.quantity;
      if (typeof q !== 'number' || !Number.isInteger(q) || q < 0 || q > MAX_QUANTITY) {
        return issue(
          'QUANTITY_OUT_OF_RANGE',
          `quantity ${JSON.stringify(q)} must be an integer from 0 to ${MAX_QUANTITY}.`,
        );
      }
      quantity = q;
    }
  }
  if (quantity === undefined) return issue('INVALID_MESSAGE', 'No fulfillment_availability quantity is given.');
  if (!isListed(sku)) return issue('SKU_NOT_FOUND', `The SKU '${sku}' does not exist for this seller.`);
  return { sku, quantity };
}

function listingItem(sku: string, quantity: number, included: readonly string[], marketplaceId: string): object {
  const now = new Date().toISOString();
  return {
    sku,
    ...(included.includes('summaries')
      ? {
          summaries: [
            { marketplaceId, productType: 'PRODUCT', status: ['BUYABLE'], createdDate: now, lastUpdatedDate: now },
          ],
        }
      : {}),
    ...(included.includes('fulfillmentAvailability')
      ? { fulfillmentAvailability: [{ fulfillmentChannelCode: 'DEFAULT', quantity }] }
      : {}),
  };
}

function report(
  feedId: string,
  sellerId: string,
  requested: z.infer<typeof header>['report'],
  issues: ReportIssue[],
  processed: number,
  accepted: number,
  items?: object[],
): object {
  const errors = issues.filter((i) => i.severity === 'ERROR').length;
  return {
    header: { sellerId, version: '2.0', feedId, ...(requested ? { report: requested } : {}) },
    issues,
    summary: {
      errors,
      warnings: issues.length - errors,
      messagesProcessed: processed,
      messagesAccepted: accepted,
      messagesInvalid: processed - accepted,
      ...(items ? { itemSummary: { items: items.length, errors: 0, warnings: 0 } } : {}),
    },
    ...(items ? { items } : {}),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
