/** The Omnitron face: /omnitron/api/v1/... over the shared catalogue; token auth on everything but login. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  BATCH_STATUSES,
  type BatchRequest,
  CONTENT_TYPES,
  type IntegrationAction,
  type ProductStockJson,
} from './catalog-state';
import {
  badRequest,
  installErrorHandler,
  many,
  notFound,
  pageLinks,
  paging,
  type Query,
  requireToken,
  single,
} from './http-helpers';
import type { SandboxState } from './state';

const batchUpdateSchema = z.object({
  status: z.enum(BATCH_STATUSES),
  content_type: z.string().optional(),
  remote_batch_id: z.string().optional(),
  objects: z
    .array(
      z.object({
        pk: z.number().int(),
        remote_id: z.string().nullable().optional(),
        failed_reason_type: z.string().nullable().optional(),
        version_date: z.string().nullable().optional(),
      }),
    )
    .optional(),
});

const errorReportSchema = z.object({
  action_content_type: z.number().int(),
  action_object_id: z.number().int(),
  error_code: z.string(),
  error_description: z.string().default(''),
  raw_request: z.string().default(''),
  raw_response: z.string().default(''),
  is_ok: z.boolean().default(false),
});

function parse<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  throw badRequest(
    Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.') || 'non_field_errors', [i.message]])),
  );
}

const channelOf = (request: FastifyRequest) => Number((request.params as { cid: string }).cid);

/** DRF page of an in-memory list. */
function listPage<T>(request: FastifyRequest, items: T[], defaultLimit = 100) {
  const p = paging(request.query as Query, defaultLimit, 10_000);
  const results = items.slice(p.offset, p.offset + p.limit);
  return { count: items.length, ...pageLinks(request, p, p.offset + results.length < items.length), results };
}

const batchJson = ({ committed: _committed, ...batch }: BatchRequest) => batch;

export function omnitronRoutes(state: SandboxState): FastifyPluginAsync {
  return async (app) => {
    const catalog = () => state.catalog;
    installErrorHandler(app);
    requireToken(
      app,
      (token) => catalog().tokens.has(token),
      (url) => url.startsWith('/omnitron/api/v1/auth/login/'),
    );

    app.post('/api/v1/auth/login/', async (request, reply) => {
      const body = (request.body ?? {}) as { username?: unknown; password?: unknown };
      const key = catalog().login(String(body.username ?? ''), String(body.password ?? ''));
      if (!key) return reply.code(400).send({ non_field_errors: ['Unable to log in with provided credentials.'] });
      return { key };
    });

    app.get('/api/v1/channels/:cid/', async (request) => {
      const channel = catalog().channels.get(channelOf(request));
      if (!channel) throw notFound();
      return channel;
    });

    app.get('/api/v1/catalogs/:id/', async (request) => {
      const found = catalog().catalog;
      if (!found || found.pk !== Number((request.params as { id: string }).id)) throw notFound();
      return found;
    });

    for (const resource of ['product_stocks', 'extra_product_stocks'] as const) {
      for (const kind of ['updates', 'inserts'] as const) {
        app.get(`/api/v1/channel/:cid/${resource}/${kind}/`, async (request) => {
          const query = request.query as Query;
          const channel = channelOf(request);
          if (!catalog().channels.has(channel)) throw notFound();
          let listId = catalog().catalog?.stock_list ?? 1;
          if (resource === 'extra_product_stocks') {
            const text = single(query, 'stock_list');
            if (!text) throw badRequest({ stock_list: ['This field is required.'] });
            listId = Number(text);
          }
          const list = catalog().stockListById(listId);
          if (!list) throw badRequest({ stock_list: [`Stock list ${listId} does not exist.`] });
          const p = paging(query, 100, 10_000);
          const { count, results } = catalog().pendingPage(channel, list.ordinal, kind, p.offset, p.limit);
          const records = results.map((stock): object => {
            if (!state.faults.shouldMalform('omnitron', stock.pk)) return stock;
            catalog().recordMalformedHandout(channel, stock.pk);
            return malformed(stock);
          });
          return { count, ...pageLinks(request, p, p.offset + results.length < count), results: records };
        });
      }
    }

    // Not in the public reference: the channel's product stocks by pk, as a DRF list with `pk__in` (the filter
    // Omnitron's other lists, e.g. products/, take). The send activity reads a committed batch's stocks back with it.
    app.get('/api/v1/channel/:cid/product_stocks/', async (request) => {
      const channel = channelOf(request);
      if (!catalog().channels.has(channel)) throw notFound();
      const pks = many(request.query as Query, 'pk__in')?.map(Number);
      if (!pks) throw badRequest({ pk__in: ['This filter is required.'] });
      // A persistently malformed record is a broken row: reading it back by pk shows it broken too.
      const persistent = state.faults.config('omnitron').malformedPersistent;
      const stocks = pks.flatMap((pk): object[] => {
        const decoded = catalog().decodeProductStockPk(pk);
        const json = decoded && catalog().productStockJson(decoded[0], decoded[1]);
        if (!json) return [];
        return [persistent && state.faults.shouldMalform('omnitron', pk) ? malformed(json) : json];
      });
      return listPage(request, stocks);
    });

    app.get('/api/v1/channel/:cid/integration_actions/', async (request) => {
      const query = request.query as Query;
      const channel = channelOf(request);
      const objectIds = many(query, 'object_id__in')?.map(Number);
      const remoteIds = many(query, 'remote_id__in');
      const localBatchId = single(query, 'local_batch_id');
      const status = single(query, 'status');
      const model = single(query, 'content_type_name');
      const sort = single(query, 'sort');
      const actions = catalog()
        .actionCandidates(channel, objectIds, remoteIds)
        .filter(
          (a) =>
            (localBatchId === undefined || a.local_batch_id === localBatchId) &&
            (status === undefined || a.status === status) &&
            (model === undefined || a.model === model) &&
            (remoteIds === undefined || (a.remote_id !== null && remoteIds.includes(a.remote_id))),
        );
      const field = (sort?.replace(/^-/, '') ?? 'pk') as 'pk' | 'object_id' | 'modified_date';
      if (!['pk', 'object_id', 'modified_date'].includes(field))
        throw badRequest({ sort: [`Cannot sort by "${sort}".`] });
      const sign = sort?.startsWith('-') ? -1 : 1;
      actions.sort((a, b) => (a[field] < b[field] ? -1 : a[field] > b[field] ? 1 : 0) * sign);
      return listPage(request, actions.map(actionJson));
    });

    app.post('/api/v1/channel/:cid/batch_requests/', async (request, reply) => {
      const body = (request.body ?? {}) as { content_type?: unknown };
      const contentType = typeof body.content_type === 'string' ? body.content_type : null;
      return reply.code(201).send(batchJson(catalog().createBatch(channelOf(request), contentType)));
    });

    app.get('/api/v1/channel/:cid/batch_requests/', async (request) => {
      const query = request.query as Query;
      const channel = channelOf(request);
      const statuses = many(query, 'status');
      const contentType = single(query, 'content_type');
      const localBatchId = single(query, 'local_batch_id');
      const remoteBatchId = single(query, 'remote_batch_id');
      const batches = [...catalog().batches.values()].filter(
        (b) =>
          b.channel === channel &&
          (!statuses || statuses.includes(b.status)) &&
          (contentType === undefined || b.content_type === contentType) &&
          (localBatchId === undefined || b.local_batch_id === localBatchId) &&
          (remoteBatchId === undefined || b.remote_batch_id === remoteBatchId),
      );
      return listPage(request, batches.map(batchJson));
    });

    app.get('/api/v1/channel/:cid/batch_requests/:pk/', async (request) => {
      const pk = Number((request.params as { pk: string }).pk);
      return batchJson(catalog().batch(channelOf(request), pk));
    });

    app.patch('/api/v1/channel/:cid/batch_requests/:pk/', async (request) => {
      const pk = Number((request.params as { pk: string }).pk);
      return batchJson(catalog().updateBatch(channelOf(request), pk, parse(batchUpdateSchema, request.body)));
    });

    app.post('/api/v1/channel/:cid/error_reports/', async (request, reply) => {
      const report = catalog().addErrorReport(channelOf(request), parse(errorReportSchema, request.body));
      return reply.code(201).send(report);
    });

    app.get('/api/v1/channel/:cid/error_reports/', async (request) => {
      const query = request.query as Query;
      const channel = channelOf(request);
      const prefix = single(query, 'error_code__startswith');
      const isOk = single(query, 'is_ok');
      const objectId = single(query, 'action_object_id');
      const reports = catalog().errorReports.filter(
        (r) =>
          r.channel === channel &&
          (prefix === undefined || r.error_code.startsWith(prefix)) &&
          (isOk === undefined || r.is_ok === /^(true|1)$/i.test(isOk)) &&
          (objectId === undefined || r.action_object_id === Number(objectId)),
      );
      return listPage(request, reports);
    });

    app.get('/api/v1/content_types/', async (request) => {
      const model = single(request.query as Query, 'model');
      return listPage(
        request,
        CONTENT_TYPES.filter((c) => model === undefined || c.model === model),
      );
    });

    app.get('/api/v1/channel/:cid/products/', async (request) => {
      const pks = many(request.query as Query, 'pk__in')?.map(Number);
      const source = pks ?? Array.from({ length: catalog().whippy.skus.length }, (_, i) => i + 1);
      return listPage(
        request,
        source.map((pk) => catalog().product(pk)).filter((p) => p !== undefined),
      );
    });

    app.get('/api/v1/channel/:cid/extra_product_prices/', async (request) => {
      const query = request.query as Query;
      const pks = many(query, 'product__pk__in')?.map(Number);
      const priceList = Number(single(query, 'price_list') ?? catalog().catalog?.price_list);
      if (!pks) throw badRequest({ product__pk__in: ['This filter is required.'] });
      return listPage(
        request,
        pks.map((pk) => catalog().price(pk, priceList)).filter((p) => p !== undefined),
      );
    });
  };
}

/** A product stock as a broken serialiser would answer it: a mistyped `stock` or a missing `product`, by pk. */
function malformed(stock: ProductStockJson): object {
  if (stock.pk % 2 === 0) return { ...stock, stock: 'n/a' };
  const broken: Record<string, unknown> = { ...stock };
  delete broken.product;
  return broken;
}

function actionJson(action: IntegrationAction) {
  const { model, ...rest } = action;
  const contentType = CONTENT_TYPES.find((c) => c.model === model);
  return { ...rest, content_type: { ...contentType } };
}
