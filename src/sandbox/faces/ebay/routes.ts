/**
 * The sandbox's eBay over HTTP, mounted at `/ebay/` (paths as on api.ebay.com, which serves both):
 *
 *   POST /identity/v1/oauth2/token                      refresh_token grant -> {access_token, expires_in, token_type}
 *   POST /sell/inventory/v1/bulk_update_price_quantity  {requests[{sku, shipToLocationAvailability}]} -> {responses[]}
 *   POST /sell/inventory/v1/bulk_get_inventory_item     {requests[{sku}]} -> {responses[{statusCode, sku, inventoryItem}]}
 *
 * The token endpoint takes HTTP Basic client id:secret and a form body, answering RFC 6749 errors (invalid_client
 * 401, invalid_grant / invalid_scope / unsupported_grant_type 400). Inventory calls need a live Bearer token with the
 * call's scope (400 1002 / 400 1003 / 401 1001 / 403 1100), spend the daily quota (429 errorId 2001, no Retry-After,
 * as documented) and answer per SKU: 200 when every entry is 200, else 207 Multi-Status.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { issueEntries } from '../../../../workflows/issues';
import {
  EBAY_CONSENTED_SCOPES,
  EBAY_SANDBOX_CREDENTIALS as CREDENTIALS,
  type EbayError,
  type EbayFace,
  inventoryError,
  type ItemResponse,
  MAX_REQUESTS,
  SELL_INVENTORY,
  SELL_INVENTORY_READONLY,
} from './face';

const MAX_KEY_LENGTH = 50;

const tokenForm = z.object({
  grant_type: z.string().optional(),
  refresh_token: z.string().optional(),
  scope: z.string().optional(),
});

const distribution = z.object({
  merchantLocationKey: z.string().min(1).max(MAX_KEY_LENGTH),
  quantity: z.number().int().optional(),
  fulfillmentTime: z.object({ unit: z.string(), value: z.number().int() }).optional(),
});

/** BulkPriceQuantity; unknown fields are ignored, as eBay's JSON binding does. */
const priceQuantityBody = z.object({
  requests: z
    .array(
      z.object({
        sku: z.string().min(1).max(MAX_KEY_LENGTH).optional(),
        shipToLocationAvailability: z
          .object({
            quantity: z.number().int().optional(),
            availabilityDistributions: z.array(distribution).optional(),
          })
          .optional(),
        offers: z
          .array(
            z.object({
              offerId: z.string().min(1),
              availableQuantity: z.number().int().optional(),
              price: z.object({ value: z.string(), currency: z.string() }).optional(),
            }),
          )
          .optional(),
      }),
    )
    .min(1),
});

const bulkGetBody = z.object({ requests: z.array(z.object({ sku: z.string() })).min(1) });

const errorsOf = (...errors: EbayError[]) => ({ errors });
const oauthError = (errorId: number, message: string, longMessage: string): EbayError => ({
  errorId,
  domain: 'OAuth',
  category: 'REQUEST',
  message,
  longMessage,
});
const accessError = (errorId: number, message: string, longMessage: string): EbayError => ({
  ...oauthError(errorId, message, longMessage),
  domain: 'ACCESS',
});
const tokenError = (reply: FastifyReply, status: number, error: string, description: string) =>
  reply.code(status).send({ error, error_description: description });

/** A body that does not bind: eBay's "Invalid value for {fieldName}" (25709) for the first offending field. */
function invalidBody(reply: FastifyReply, error: z.ZodError) {
  const [first] = issueEntries(error, 'requests');
  return reply.code(400).send(errorsOf(inventoryError(25709, `Invalid value for ${first?.path}. ${first?.message}`)));
}

const multiStatus = (reply: FastifyReply, responses: readonly Pick<ItemResponse, 'statusCode'>[]) =>
  reply.code(responses.every((r) => r.statusCode === 200) ? 200 : 207).send({ responses });

export function ebayRoutes(face: EbayFace): FastifyPluginAsync {
  /** The refusal of an Inventory call for its token, scope or the quota, checked in that order; else undefined. */
  const denied = (request: FastifyRequest, scopes: readonly string[]): [number, object] | undefined => {
    const header = request.headers.authorization;
    if (!header) {
      const longMessage = 'Access token is missing in the Authorization HTTP request header.';
      return [400, errorsOf(oauthError(1002, 'Missing access token', longMessage))];
    }
    const [scheme = '', token] = header.split(' ');
    if (scheme !== 'Bearer') {
      const message = `Token type in the Authorization header is invalid:${scheme}`;
      return [400, errorsOf(oauthError(1003, message, message))];
    }
    const granted = face.tokens.scopesOf(token);
    if (!granted) {
      const longMessage = 'Invalid access token. Check the value of the Authorization HTTP request header.';
      return [401, errorsOf(oauthError(1001, 'Invalid access token', longMessage))];
    }
    if (!scopes.some((s) => granted.includes(s))) {
      return [403, errorsOf(accessError(1100, 'Access denied', 'Insufficient permissions to fulfill the request.'))];
    }
    if (face.throttle() > 0) {
      const longMessage = 'The request limit has been reached for the resource.';
      return [429, errorsOf(accessError(2001, 'Too many requests.', longMessage))];
    }
    return undefined;
  };

  return async (app) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );

    app.post('/identity/v1/oauth2/token', async (request, reply) => {
      const basic = `Basic ${Buffer.from(`${CREDENTIALS.clientId}:${CREDENTIALS.clientSecret}`).toString('base64')}`;
      if (request.headers.authorization !== basic) {
        return tokenError(reply, 401, 'invalid_client', 'client authentication failed');
      }
      const form = tokenForm.safeParse(request.body);
      if (!request.headers['content-type']?.startsWith('application/x-www-form-urlencoded') || !form.success) {
        return tokenError(reply, 400, 'invalid_request', 'request is missing a required parameter or malformed.');
      }
      if (form.data.grant_type !== 'refresh_token') {
        return tokenError(
          reply,
          400,
          'unsupported_grant_type',
          'grant type in request is not supported by the authorization server',
        );
      }
      if (form.data.refresh_token !== CREDENTIALS.refreshToken) {
        const description = 'the provided authorization refresh token is invalid or was issued to another client';
        return tokenError(reply, 400, 'invalid_grant', description);
      }
      const scopes = form.data.scope?.split(' ').filter(Boolean) ?? EBAY_CONSENTED_SCOPES;
      if (scopes.length === 0 || scopes.some((s) => !EBAY_CONSENTED_SCOPES.includes(s))) {
        const description =
          'The requested scope is invalid, unknown, malformed, or exceeds the scope granted to the client';
        return tokenError(reply, 400, 'invalid_scope', description);
      }
      const token = face.tokens.issue('v^1.1#i^1#p^3#r^1#I^3#f^0#t^', face.tokenLifetimeMs, scopes);
      return {
        access_token: token,
        expires_in: Math.round(face.tokenLifetimeMs / 1000),
        token_type: 'User Access Token',
      };
    });

    app.post('/sell/inventory/v1/bulk_update_price_quantity', async (request, reply) => {
      const refusal = denied(request, [SELL_INVENTORY]);
      if (refusal) return reply.code(refusal[0]).send(refusal[1]);
      const body = priceQuantityBody.safeParse(request.body);
      if (!body.success) return invalidBody(reply, body.error);
      if (body.data.requests.length > MAX_REQUESTS) {
        const message = `Invalid value for requests. At most ${MAX_REQUESTS} inventory items can be updated in one call.`;
        return reply.code(400).send(errorsOf(inventoryError(25709, message)));
      }
      return multiStatus(reply, face.update(body.data.requests));
    });

    app.post('/sell/inventory/v1/bulk_get_inventory_item', async (request, reply) => {
      const refusal = denied(request, [SELL_INVENTORY, SELL_INVENTORY_READONLY]);
      if (refusal) return reply.code(refusal[0]).send(refusal[1]);
      const body = bulkGetBody.safeParse(request.body);
      if (!body.success) return invalidBody(reply, body.error);
      const skus = body.data.requests.map((r) => r.sku);
      if (skus.length > MAX_REQUESTS) {
        const message = `The number of InventoryItems in the request cannot exceed ${MAX_REQUESTS}.`;
        return reply.code(400).send(errorsOf(inventoryError(25727, message)));
      }
      if (skus.some((sku) => sku === '' || sku.length > MAX_KEY_LENGTH)) {
        return reply.code(400).send(errorsOf(inventoryError(25708, 'Invalid SKU.')));
      }
      if (new Set(skus).size < skus.length) {
        return reply.code(400).send(errorsOf(inventoryError(25734, 'SKU should be unique in the request.')));
      }
      return multiStatus(
        reply,
        skus.map((sku) =>
          face.isListed(sku)
            ? {
                statusCode: 200,
                sku,
                inventoryItem: {
                  sku,
                  locale: 'en_US',
                  availability: { shipToLocationAvailability: face.availability(sku) },
                },
              }
            : {
                statusCode: 404,
                sku,
                errors: [inventoryError(25702, `SKU ${sku} is not available in the system`, ['sku', sku])],
              },
        ),
      );
    });
  };
}
