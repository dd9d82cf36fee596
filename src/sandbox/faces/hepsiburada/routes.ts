/**
 * The Hepsiburada listing host, mounted at /hepsiburada/ (paths as on listing-external[-sit].hepsiburada.com):
 *
 *   POST /listings/merchantid/:merchantId/stock-uploads          [{merchantSku|hepsiburadaSku, availableStock}] -> {id}
 *   GET  /listings/merchantid/:merchantId/stock-uploads/id/:id   {id, status, createdAt, total, errors[]}
 *   GET  /listings/merchantid/:merchantId?offset=&limit=&merchantSkuList=   {listings[], totalCount, limit, offset}
 *
 * Every call needs HTTP Basic merchantId:serviceKey (else 401) and the User-Agent of the merchant's integrator (else
 * 403). Throttling answers 429 with X-RateLimit-Limit/-Remaining/-Reset (seconds), the platform's documented signal.
 * Error bodies are undocumented on this host; the catalogue's documented envelope {success, code, version, message}
 * stands in for them.
 */
import { createHash } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { issueLines } from '../../../../workflows/issues';
import type { MarketplaceTunables } from '../../marketplace-state';
import {
  HEPSIBURADA_SANDBOX_CREDENTIALS as CREDENTIALS,
  type HepsiburadaFace,
  LISTING_BUDGET,
  MAX_ITEMS_PER_UPLOAD,
  MAX_SKUS_PER_READ,
  hepsiburadaSkuOf,
} from './face';

const INT32_MAX = 2_147_483_647;
const TOO_MANY_UPLOADS = 'There are too many ongoing/waiting inventory uploads at the moment. Please try again later.';

const merchantParams = z.object({ merchantId: z.string() });
const uploadParams = z.object({ merchantId: z.string(), id: z.string() });

/** StockUploadRequestModel[]: a bare array; availableStock is what a stock upload is for. Unknown fields are ignored. */
const uploadBody = z
  .array(
    z.object({
      merchantSku: z.string().min(1).optional(),
      hepsiburadaSku: z.string().min(1).optional(),
      availableStock: z.number().int().min(-INT32_MAX).max(INT32_MAX),
      maximumPurchasableQuantity: z.number().int().min(0).max(INT32_MAX).optional(),
    }),
  )
  .min(1);

const skuList = z
  .string()
  .optional()
  .transform((list) => list?.split(',').filter(Boolean));

const listingsQuery = z.object({
  offset: z.coerce.number().int().min(0),
  limit: z.coerce.number().int().min(1),
  merchantSkuList: skuList,
  hbSkuList: skuList,
});

function failure(reply: FastifyReply, status: number, message: string) {
  return reply.code(status).send({ success: false, code: status, version: 1, message });
}

export function hepsiburadaRoutes(face: HepsiburadaFace, tunables: () => MarketplaceTunables): FastifyPluginAsync {
  /** Credentials, then the merchant's budget for the operation; true once the request was answered. */
  const refused = (request: FastifyRequest, reply: FastifyReply, merchantId: string, operation: string): boolean => {
    const { merchantId: expectedId, serviceKey, integratorName } = CREDENTIALS;
    const basic = `Basic ${Buffer.from(`${expectedId}:${serviceKey}`).toString('base64')}`;
    if (request.headers.authorization !== basic) {
      void failure(
        reply,
        401,
        'Authentication failed: the username must be the merchant id, the password its service key',
      );
      return true;
    }
    if (request.headers['user-agent'] !== integratorName || merchantId !== expectedId) {
      void failure(reply, 403, 'Forbidden: the User-Agent must name the integrator registered for this merchant');
      return true;
    }
    const waitMs = face.throttle(operation);
    if (waitMs > 0) {
      const budget = Math.round(LISTING_BUDGET.burst * face.budgetScale);
      void reply
        .header('X-RateLimit-Limit', String(budget))
        .header('X-RateLimit-Remaining', '0')
        .header('X-RateLimit-Reset', String(Math.ceil(waitMs / 1000)));
      void failure(reply, 429, 'Too Many Requests');
      return true;
    }
    return false;
  };

  return async (app) => {
    app.post('/listings/merchantid/:merchantId/stock-uploads', async (request, reply) => {
      const { merchantId } = merchantParams.parse(request.params);
      if (refused(request, reply, merchantId, 'stock-uploads')) return reply;
      const body = uploadBody.safeParse(request.body);
      if (!body.success) return failure(reply, 400, issueLines(body.error, 'body').join('; '));
      if (body.data.length > MAX_ITEMS_PER_UPLOAD) {
        return failure(reply, 400, `At most ${MAX_ITEMS_PER_UPLOAD} listings can be uploaded in one request`);
      }
      const items = body.data.map((item, index) => ({ elementNo: index + 1, ...item }));
      const accepted = face.accept(items, tunables().batchDelayMs);
      // The guide gives the refusal's text, not its status: 400, the host's refusal of a request it will not take.
      if (accepted === 'busy') return failure(reply, 400, TOO_MANY_UPLOADS);
      return accepted;
    });

    app.get('/listings/merchantid/:merchantId/stock-uploads/id/:id', async (request, reply) => {
      const { merchantId, id } = uploadParams.parse(request.params);
      if (refused(request, reply, merchantId, 'stock-upload-status')) return reply;
      return face.upload(id) ?? failure(reply, 404, `Stock upload ${id} not found`);
    });

    app.get('/listings/merchantid/:merchantId', async (request, reply) => {
      const { merchantId } = merchantParams.parse(request.params);
      if (refused(request, reply, merchantId, 'listings')) return reply;
      const query = listingsQuery.safeParse(request.query);
      if (!query.success) return failure(reply, 400, issueLines(query.error, 'query').join('; '));
      const { offset, limit, merchantSkuList, hbSkuList } = query.data;
      if ((merchantSkuList?.length ?? 0) > MAX_SKUS_PER_READ || (hbSkuList?.length ?? 0) > MAX_SKUS_PER_READ) {
        return failure(reply, 400, `At most ${MAX_SKUS_PER_READ} SKUs can be asked for in one request`);
      }
      const byHbSku = hbSkuList && new Set(hbSkuList);
      const matching = face.listings(merchantSkuList).filter((sku) => !byHbSku || byHbSku.has(hepsiburadaSkuOf(sku)));
      return {
        listings: matching.slice(offset, offset + limit).map((sku) => listingOf(sku, face.held(sku, undefined) ?? 0)),
        totalCount: matching.length,
        limit,
        offset,
      };
    });
  };
}

/** A `Listing` with the fields a stock reconciliation may look at; prices and cargo are not the sandbox's business. */
function listingOf(merchantSku: string, availableStock: number) {
  return {
    listingId: uuidOf(merchantSku),
    hepsiburadaSku: hepsiburadaSkuOf(merchantSku),
    merchantSku,
    availableStock,
    maximumPurchasableQuantity: 0,
    isSalable: availableStock > 0,
    isSuspended: false,
    isLocked: false,
    isFrozen: false,
    stockDecreaseDisabled: false,
    availableWarehouses: [],
  };
}

/** A stable listing id in the GUID form Hepsiburada uses. */
function uuidOf(merchantSku: string): string {
  const hex = createHash('sha1').update(`listing\0${merchantSku}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
