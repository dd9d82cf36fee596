/**
 * The sandbox's Amazon over HTTP, mounted at `/amazon/`:
 *
 *   POST /auth/o2/token                              LWA refresh-token exchange (form-encoded or JSON)
 *   POST /feeds/2021-06-30/documents                 createFeedDocument -> 201 { feedDocumentId, url }
 *   PUT  /documents-store/:id?X-Amz-Signature=...    the presigned upload (S3's role; its XML errors)
 *   POST /feeds/2021-06-30/feeds                     createFeed -> 202 { feedId }
 *   GET  /feeds/2021-06-30/feeds/:feedId             getFeed (IN_QUEUE, IN_PROGRESS, DONE, FATAL)
 *   GET  /feeds/2021-06-30/documents/:id             getFeedDocument -> { feedDocumentId, url, compressionAlgorithm }
 *   GET  /documents-store/:id?X-Amz-Signature=...    the presigned download
 *   GET  /listings/2021-08-01/items/:sellerId        searchListingsItems (by SKU identifiers, at most 20)
 *   GET  /listings/2021-08-01/items/:sellerId/:sku   getListingsItem
 *
 * SP-API calls need a live `x-amz-access-token` (else 403 Unauthorized) and a user-agent of at most 500 characters;
 * each operation spends its documented budget (429 QuotaExceeded, no rate header, when empty) and reports its rate in
 * `x-amzn-RateLimit-Limit` on 2xx, 400 and 404, as Amazon does.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { MarketplaceTunables } from '../../marketplace-state';
import type { AmazonFace, FeedDocumentRecord } from './face';
import { AMAZON_SANDBOX_CREDENTIALS as SELLER, type AmazonOperation } from './plan';

const MAX_USER_AGENT = 500;
const MAX_IDENTIFIERS = 20;
const MAX_PAGE_SIZE = 20;

const lwaForm = z.object({
  grant_type: z.string(),
  refresh_token: z.string().optional(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
});
const createDocumentBody = z.object({ contentType: z.string().min(1) });
const createFeedBody = z.object({
  feedType: z.string().min(1),
  marketplaceIds: z.array(z.string()).min(1).max(25),
  inputFeedDocumentId: z.string().min(1),
  feedOptions: z.record(z.string(), z.string()).optional(),
});
const csv = z
  .string()
  .transform((s) => s.split(',').filter(Boolean))
  .optional();
const searchQuery = z.object({
  marketplaceIds: csv,
  identifiers: csv.refine((ids) => (ids?.length ?? 0) <= MAX_IDENTIFIERS, `at most ${MAX_IDENTIFIERS} identifiers`),
  identifiersType: z.string().optional(),
  includedData: csv,
  pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(10),
  pageToken: z.string().optional(),
});
const itemQuery = z.object({ marketplaceIds: csv, includedData: csv });
const INCLUDED_DATA = new Set(['summaries', 'attributes', 'issues', 'offers', 'fulfillmentAvailability']);

const spErrors = (code: string, message: string, details?: string) => ({
  errors: [{ code, message, ...(details === undefined ? {} : { details }) }],
});
const invalidInput = (details: string) => spErrors('400', 'Invalid input', details);
const s3Error = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;

export function amazonRoutes(face: AmazonFace, tunables: () => MarketplaceTunables): FastifyPluginAsync {
  return async (app) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    app.addHook('onSend', async (_request, reply) => {
      reply.header('x-amzn-RequestId', randomUUID());
    });

    /** The refusal of an SP-API call for its credentials or headers, checked before anything is spent. */
    const denied = (request: FastifyRequest): [number, object] | undefined => {
      const token = request.headers['x-amz-access-token'];
      if (typeof token !== 'string' || token === '') {
        return [403, spErrors('Unauthorized', 'Access to requested resource is denied.', missingToken)];
      }
      if (!face.tokens.scopesOf(token)) {
        return [403, spErrors('Unauthorized', 'Access to requested resource is denied.', badToken)];
      }
      const agent = request.headers['user-agent'];
      if (!agent || agent.length > MAX_USER_AGENT) {
        return [400, invalidInput(`A user-agent header of at most ${MAX_USER_AGENT} characters is required.`)];
      }
      return undefined;
    };

    /** Auth, then the operation's budget; answers the refusal itself and returns false, or true to go on. */
    const admit = (operation: AmazonOperation, request: FastifyRequest, reply: FastifyReply): boolean => {
      const refusal = denied(request);
      if (refusal) {
        void reply.code(refusal[0]).send(refusal[1]);
        return false;
      }
      if (face.spend(operation) > 0) {
        void reply.code(429).send(quotaExceeded);
        return false;
      }
      reply.header('x-amzn-RateLimit-Limit', String(face.rateOf(operation)));
      return true;
    };

    const presignedURL = (request: FastifyRequest, record: FeedDocumentRecord) =>
      `${request.protocol}://${request.headers.host}${app.prefix}/documents-store/${encodeURIComponent(record.id)}` +
      `?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=300&X-Amz-Signature=${record.signature}`;

    app.post('/auth/o2/token', async (request, reply) => {
      void reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
      const form = lwaForm.safeParse(request.body);
      if (!form.success) return reply.code(400).send(lwaError('invalid_request', 'grant_type'));
      const { grant_type, refresh_token, client_id, client_secret } = form.data;
      if (grant_type !== 'refresh_token' || !refresh_token || !client_id) {
        return reply.code(400).send(lwaError('invalid_request', !client_id ? 'client_id' : 'grant_type'));
      }
      if (client_id !== SELLER.clientId || client_secret !== SELLER.clientSecret) {
        return reply.code(401).send({ error: 'invalid_client', error_description: 'Client authentication failed' });
      }
      if (refresh_token !== SELLER.refreshToken) {
        return reply.code(400).send({
          error: 'invalid_grant',
          error_description: 'The request has an invalid grant parameter : refresh_token',
        });
      }
      return { ...face.issueToken(), refresh_token };
    });

    app.post('/feeds/2021-06-30/documents', async (request, reply) => {
      if (!admit('createFeedDocument', request, reply)) return reply;
      const body = createDocumentBody.safeParse(request.body);
      if (!body.success) return reply.code(400).send(invalidInput('contentType is required.'));
      const record = face.createDocument(body.data.contentType);
      return reply.code(201).send({ feedDocumentId: record.id, url: presignedURL(request, record) });
    });

    app.post('/feeds/2021-06-30/feeds', async (request, reply) => {
      if (!admit('createFeed', request, reply)) return reply;
      const body = createFeedBody.safeParse(request.body);
      if (!body.success) return reply.code(400).send(invalidInput(body.error.issues.map((i) => i.message).join('; ')));
      const { feedType, marketplaceIds, inputFeedDocumentId } = body.data;
      if (feedType !== 'JSON_LISTINGS_FEED') {
        return reply.code(400).send(invalidInput('The sandbox implements only the JSON_LISTINGS_FEED feed type.'));
      }
      if (marketplaceIds.some((id) => id !== SELLER.marketplaceId)) {
        return reply
          .code(400)
          .send(invalidInput(`Invalid marketplaceIds: the seller sells in ${SELLER.marketplaceId}.`));
      }
      if (!face.document(inputFeedDocumentId)) {
        return reply.code(400).send(invalidInput(`Invalid inputFeedDocumentId ${inputFeedDocumentId}.`));
      }
      // The feed type's own limit comes on top of the operation's.
      if (face.spend('jsonListingsFeed') > 0) return reply.code(429).send(quotaExceeded);
      const feedId = face.createFeed({ inputFeedDocumentId, marketplaceIds }, tunables().batchDelayMs);
      return reply.code(202).send({ feedId });
    });

    app.get('/feeds/2021-06-30/feeds/:feedId', async (request, reply) => {
      if (!admit('getFeed', request, reply)) return reply;
      const { feedId } = request.params as { feedId: string };
      if (!/^\d+$/.test(feedId)) return reply.code(400).send(invalidInput(`Invalid feedId ${feedId}.`));
      const feed = face.feed(feedId);
      if (!feed) return reply.code(404).send(notFound(`Feed ${feedId} was not found.`));
      return feed;
    });

    app.get('/feeds/2021-06-30/documents/:id', async (request, reply) => {
      if (!admit('getFeedDocument', request, reply)) return reply;
      const { id } = request.params as { id: string };
      const record = face.document(id);
      if (!record) return reply.code(404).send(notFound(`Feed document ${id} was not found.`));
      face.presign(record);
      return {
        feedDocumentId: record.id,
        url: presignedURL(request, record),
        ...(record.gzip ? { compressionAlgorithm: 'GZIP' } : {}),
      };
    });

    app.get('/listings/2021-08-01/items/:sellerId', async (request, reply) => {
      if (!admit('searchListingsItems', request, reply)) return reply;
      const refusal = listingsRefusal(request, searchQuery);
      if (refusal) return reply.code(refusal[0]).send(refusal[1]);
      const query = searchQuery.parse(request.query);
      if (!query.identifiers || query.identifiersType !== 'SKU') {
        return reply
          .code(400)
          .send(spErrors('BAD_REQUEST', 'Invalid input', 'The sandbox searches by identifiers of type SKU only.'));
      }
      const skus = query.identifiers.filter((sku) => face.isListed(sku));
      const offset = query.pageToken ? Number(Buffer.from(query.pageToken, 'base64url').toString()) || 0 : 0;
      const page = skus.slice(offset, offset + query.pageSize);
      const next = offset + query.pageSize < skus.length ? offset + query.pageSize : undefined;
      return {
        numberOfResults: skus.length,
        ...(next === undefined ? {} : { pagination: { nextToken: Buffer.from(String(next)).toString('base64url') } }),
        items: page.map((sku) => listingItem(face, sku, query.includedData)),
      };
    });

    app.get('/listings/2021-08-01/items/:sellerId/:sku', async (request, reply) => {
      if (!admit('getListingsItem', request, reply)) return reply;
      const refusal = listingsRefusal(request, itemQuery);
      if (refusal) return reply.code(refusal[0]).send(refusal[1]);
      const { sku } = request.params as { sku: string };
      if (!face.isListed(sku)) {
        return reply
          .code(404)
          .send(spErrors('NOT_FOUND', `SKU '${sku}' not found in marketplace ${SELLER.marketplaceId}`));
      }
      return listingItem(face, sku, itemQuery.parse(request.query).includedData);
    });

    await app.register(async (store) => {
      // The document store takes any bytes under any content type, as S3 does.
      store.removeAllContentTypeParsers();
      store.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

      const signed = (request: FastifyRequest, reply: FastifyReply): FeedDocumentRecord | undefined => {
        const { id } = request.params as { id: string };
        const { 'X-Amz-Signature': signature } = request.query as Record<string, string | undefined>;
        const record = face.document(id);
        const refuse = (status: number, code: string, message: string) => {
          void reply.code(status).type('application/xml').send(s3Error(code, message));
          return undefined;
        };
        if (!record) return refuse(404, 'NoSuchKey', 'The specified key does not exist.');
        if (signature !== record.signature) {
          return refuse(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match.');
        }
        if (Date.now() >= record.urlExpiresAt) return refuse(403, 'AccessDenied', 'Request has expired');
        return record;
      };

      store.put('/documents-store/:id', async (request, reply) => {
        const record = signed(request, reply);
        if (!record) return reply;
        // The content type is part of what S3 signs: another one than createFeedDocument's is refused.
        if (request.headers['content-type'] !== record.contentType) {
          return reply
            .code(403)
            .type('application/xml')
            .send(s3Error('SignatureDoesNotMatch', 'The Content-Type is not the one the URL was signed for.'));
        }
        record.content = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
        return reply.code(200).header('ETag', `"${randomUUID()}"`).send('');
      });

      store.get('/documents-store/:id', async (request, reply) => {
        const record = signed(request, reply);
        if (!record) return reply;
        if (record.content === undefined)
          return reply.code(404).type('application/xml').send(s3Error('NoSuchKey', 'Empty.'));
        const bytes = record.gzip ? gzipSync(record.content) : Buffer.from(record.content);
        return reply.type(record.contentType).send(bytes);
      });
    });
  };
}

const missingToken = 'Access token is missing in the request header.';
const badToken = 'The access token you provided is revoked, malformed or invalid.';
const quotaExceeded = spErrors('QuotaExceeded', 'You exceeded your quota for the requested resource.', '');
const notFound = (details: string) => spErrors('NotFound', 'The specified resource does not exist.', details);
const lwaError = (error: string, parameter: string) => ({
  error,
  error_description: `The request has an invalid parameter : ${parameter}`,
});

/** The seller in the path and the marketplace asked for must be the sandbox's; the query must parse. */
function listingsRefusal(request: FastifyRequest, schema: z.ZodType): [number, object] | undefined {
  const { sellerId } = request.params as { sellerId: string };
  if (sellerId !== SELLER.sellerId) {
    return [
      403,
      spErrors('Unauthorized', 'Access to requested resource is denied.', `Not authorized for ${sellerId}.`),
    ];
  }
  const query = schema.safeParse(request.query);
  if (!query.success) return [400, spErrors('BAD_REQUEST', 'Invalid input', query.error.issues[0]?.message)];
  const { marketplaceIds, includedData } = query.data as { marketplaceIds?: string[]; includedData?: string[] };
  if (!marketplaceIds || marketplaceIds.length !== 1 || marketplaceIds[0] !== SELLER.marketplaceId) {
    return [400, spErrors('BAD_REQUEST', 'Invalid input', `marketplaceIds must be ${SELLER.marketplaceId}.`)];
  }
  const unknown = (includedData ?? []).find((d) => !INCLUDED_DATA.has(d));
  if (unknown) return [400, spErrors('BAD_REQUEST', 'Invalid input', `includedData ${unknown} is not supported.`)];
  return undefined;
}

/** A listings item with the data sets asked for (summaries by default, as Amazon's default). */
function listingItem(face: AmazonFace, sku: string, includedData: string[] | undefined): object {
  const wanted = new Set(includedData ?? ['summaries']);
  const quantity = face.held(sku, undefined) ?? 0;
  const now = new Date().toISOString();
  return {
    sku,
    ...(wanted.has('summaries')
      ? {
          summaries: [
            {
              marketplaceId: SELLER.marketplaceId,
              productType: 'PRODUCT',
              status: ['BUYABLE'],
              itemName: sku,
              createdDate: now,
              lastUpdatedDate: now,
            },
          ],
        }
      : {}),
    ...(wanted.has('fulfillmentAvailability')
      ? { fulfillmentAvailability: [{ fulfillmentChannelCode: 'DEFAULT', quantity }] }
      : {}),
    ...(wanted.has('issues') ? { issues: [] } : {}),
    ...(wanted.has('attributes') ? { attributes: {} } : {}),
    ...(wanted.has('offers') ? { offers: [] } : {}),
  };
}
