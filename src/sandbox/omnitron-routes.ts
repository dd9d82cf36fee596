/**
 * The Omnitron face: /omnitron/api/v1/... over the shared catalogue; token auth on everything but login. Bodies are
 * checked like DRF serialisers check them (drf-fields.ts) and records answered in the official shapes
 * (omnitron-records.ts). Like the proxies in front of a real Omnitron, it answers 414 to a URL over 8 KiB.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { BATCH_STATUSES, type BatchUpdate } from './batch-requests';
import { CONTENT_TYPES } from './catalogue';
import {
  boolean,
  choice,
  datetime,
  integer,
  listOf,
  nullable,
  object,
  relatedPk,
  string,
  validateBody,
} from './drf-fields';
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
import { batchJson, channelJson, errorReportJson, integrationActionJson, priceJson } from './omnitron-records';
import type { ProductStockJson } from './product-stocks';
import type { SandboxState } from './state';

/** nginx's default `large_client_header_buffers` (8k): a longer request line is refused before Omnitron sees it. */
const MAX_URL_BYTES = 8 * 1024;

const contentTypeExists = (id: number) => CONTENT_TYPES.some((c) => c.id === id);

/** What the batch-request serialiser takes on PATCH (the spec's PUT body; `objects` as the reference sends them). */
const batchUpdateFields = {
  status: { field: choice(BATCH_STATUSES), required: true },
  channel: { field: integer() },
  content_type: { field: nullable(string({ maxLength: 255 })) },
  remote_batch_id: { field: nullable(string({ maxLength: 255 })) },
  objects: {
    field: nullable(
      listOf(
        object({
          pk: { field: integer(), required: true },
          remote_id: { field: nullable(string({ allowBlank: true })) },
          failed_reason_type: { field: nullable(string({ allowBlank: true })) },
          version_date: { field: nullable(datetime()) },
          content_type: { field: string() },
        }),
      ),
    ),
  },
};

/** Error-report create: every field the reference implementation always sends is required. */
const errorReportFields = {
  action_content_type: { field: relatedPk(contentTypeExists), required: true },
  action_object_id: { field: integer(), required: true },
  target_content_type: { field: relatedPk(contentTypeExists), required: true },
  target_object_id: { field: string(), required: true },
  obj_modified_date: { field: datetime(), required: true },
  error_code: { field: string({ maxLength: 255 }), required: true },
  error_desc: { field: string(), required: true },
  raw_request: { field: nullable(string({ allowBlank: true })), required: true },
  raw_response: { field: nullable(string({ allowBlank: true })), required: true },
  is_ok: { field: boolean(), required: true },
};

const channelOf = (request: FastifyRequest) => Number((request.params as { cid: string }).cid);

/** DRF page of an in-memory list. */
function listPage<T>(request: FastifyRequest, items: T[], defaultLimit = 100) {
  const p = paging(request.query as Query, defaultLimit, 10_000);
  const results = items.slice(p.offset, p.offset + p.limit);
  return { count: items.length, ...pageLinks(request, p, p.offset + results.length < items.length), results };
}

/** `sort=<field>` / `sort=-<field>` over the given fields. */
function sorted<T>(items: T[], sort: string | undefined, fields: Record<string, (item: T) => number | string>): T[] {
  if (sort === undefined) return items;
  const key = fields[sort.replace(/^-/, '')];
  if (!key) throw badRequest({ sort: [`Cannot sort by "${sort}".`] });
  const sign = sort.startsWith('-') ? -1 : 1;
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * sign);
}

export function omnitronRoutes(state: SandboxState): FastifyPluginAsync {
  return async (app) => {
    const catalog = () => state.catalog;
    installErrorHandler(app);
    app.addHook('onRequest', async (request, reply) => {
      if (Buffer.byteLength(request.url) > MAX_URL_BYTES) {
        await reply
          .code(414)
          .type('text/html')
          .send(
            '<html><head><title>414 Request-URI Too Large</title></head><body>414 Request-URI Too Large</body></html>',
          );
      }
    });
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
      const channel = channelJson(catalog().model, channelOf(request));
      if (!channel) throw notFound();
      return channel;
    });

    app.get('/api/v1/catalogs/:id/', async (request) => {
      const found = catalog().model.catalog;
      if (!found || found.pk !== Number((request.params as { id: string }).id)) throw notFound();
      return found;
    });

    for (const resource of ['product_stocks', 'extra_product_stocks'] as const) {
      for (const kind of ['updates', 'inserts'] as const) {
        app.get(`/api/v1/channel/:cid/${resource}/${kind}/`, async (request) => {
          const query = request.query as Query;
          const channel = channelOf(request);
          const { model, stocks, checks } = catalog();
          if (!model.channels.has(channel)) throw notFound();
          let listId = model.catalog?.stock_list ?? 1;
          if (resource === 'extra_product_stocks') {
            const text = single(query, 'stock_list');
            if (!text) throw badRequest({ stock_list: ['This field is required.'] });
            listId = Number(text);
          }
          const list = model.stockListById(listId);
          if (!list) throw badRequest({ stock_list: [`Stock list ${listId} does not exist.`] });
          const p = paging(query, 100, 10_000);
          const { count, results } = stocks.page(channel, list.ordinal, kind, p.offset, p.limit);
          const records = results.map((stock): object => {
            if (!state.faults.shouldMalform('omnitron', stock.pk)) return stock;
            checks.recordMalformedHandout(channel, stock.pk);
            return malformed(stock);
          });
          return { count, ...pageLinks(request, p, p.offset + results.length < count), results: records };
        });
      }
    }

    // The channel's product stocks as DRF lists: by pk (`pk__in`, which the extra list documents; the send activity
    // reads a committed batch's stocks back with it), or one product's stock in a list (`product` + `stock_list`, also
    // documented filters there; reconciliation's repair finds a drifted SKU's stock with them). The main list's
    // `product_stocks/` is not in the stored reference and is read the same way.
    for (const resource of ['product_stocks', 'extra_product_stocks']) {
      app.get(`/api/v1/channel/:cid/${resource}/`, async (request) => {
        const channel = channelOf(request);
        const query = request.query as Query;
        const { model, stocks } = catalog();
        if (!model.channels.has(channel)) throw notFound();
        const pks = many(query, 'pk__in')?.map(Number) ?? productStockPks(query);
        if (!pks) throw badRequest({ pk__in: ['This filter is required (or product and stock_list).'] });
        // A persistently malformed record is a broken row: reading it back by pk shows it broken too.
        const persistent = state.faults.config('omnitron').malformedPersistent;
        const records = pks.flatMap((pk): object[] => {
          const decoded = stocks.decode(pk);
          const json = decoded && stocks.json(decoded[0], decoded[1]);
          if (!json) return [];
          return [persistent && state.faults.shouldMalform('omnitron', pk) ? malformed(json) : json];
        });
        return listPage(request, records);
      });
    }
    /** `product` + `stock_list`: the pk of that product's stock in that list (none: an empty list). */
    const productStockPks = (query: Query): number[] | undefined => {
      const product = single(query, 'product');
      const stockList = single(query, 'stock_list');
      if (product === undefined || stockList === undefined) return undefined;
      const list = catalog().model.stockListById(Number(stockList));
      const skuIndex = Number(product) - 1;
      if (!list || !Number.isInteger(skuIndex) || !catalog().model.inList(list.ordinal, skuIndex)) return [];
      return [catalog().stocks.pk(list.ordinal, skuIndex)];
    };

    app.get('/api/v1/channel/:cid/integration_actions/', async (request) => {
      const query = request.query as Query;
      const channel = channelOf(request);
      const { model, actions } = catalog();
      if (!model.channels.has(channel)) throw notFound();
      const objectIds = many(query, 'object_id__in')?.map(Number);
      const remoteIds = many(query, 'remote_id__in');
      const localBatchId = single(query, 'local_batch_id');
      const status = single(query, 'status');
      const contentModel = single(query, 'content_type_name');
      const found = actions
        .candidates(channel, { objectIds, remoteIds, localBatchId })
        .filter(
          (a) =>
            (localBatchId === undefined || a.local_batch_id === localBatchId) &&
            (status === undefined || a.status === status) &&
            (contentModel === undefined || a.model === contentModel) &&
            (remoteIds === undefined || (a.remote_id !== null && remoteIds.includes(a.remote_id))),
        );
      const ordered = sorted(found, single(query, 'sort'), {
        id: (a) => a.id,
        object_id: (a) => a.object_id,
        modified_date: (a) => a.modified_date,
      });
      return listPage(
        request,
        ordered.map((a) => integrationActionJson(model, a)),
      );
    });

    app.post('/api/v1/channel/:cid/batch_requests/', async (request, reply) => {
      const channel = channelOf(request);
      const body = validateBody(
        { channel: { field: integer() }, content_type: { field: nullable(string({ maxLength: 255 })) } },
        request.body,
      );
      if (body.channel !== undefined && body.channel !== channel) {
        throw badRequest({ channel: [`Invalid pk "${body.channel}" - object does not exist.`] });
      }
      return reply.code(201).send(batchJson(catalog().batches.create(channel, body.content_type ?? null)));
    });

    app.get('/api/v1/channel/:cid/batch_requests/', async (request) => {
      const query = request.query as Query;
      const channel = channelOf(request);
      const statuses = many(query, 'status');
      const contentType = single(query, 'content_type');
      const localBatchId = single(query, 'local_batch_id');
      const remoteBatchId = single(query, 'remote_batch_id');
      const batches = [...catalog().batches.all.values()].filter(
        (b) =>
          b.channel === channel &&
          (!statuses || statuses.includes(b.status)) &&
          (contentType === undefined || b.content_type === contentType) &&
          (localBatchId === undefined || b.local_batch_id === localBatchId) &&
          (remoteBatchId === undefined || b.remote_batch_id === remoteBatchId),
      );
      const ordered = sorted(batches, single(query, 'sort'), {
        id: (b) => b.pk,
        pk: (b) => b.pk,
        modified_date: (b) => b.modified_date,
      });
      return listPage(request, ordered.map(batchJson));
    });

    app.get('/api/v1/channel/:cid/batch_requests/:pk/', async (request) => {
      const pk = Number((request.params as { pk: string }).pk);
      return batchJson(catalog().batches.get(channelOf(request), pk));
    });

    app.patch('/api/v1/channel/:cid/batch_requests/:pk/', async (request) => {
      const channel = channelOf(request);
      const pk = Number((request.params as { pk: string }).pk);
      catalog().batches.get(channel, pk);
      const body = validateBody(batchUpdateFields, request.body);
      if (body.channel !== undefined && body.channel !== channel) {
        throw badRequest({ channel: [`Invalid pk "${body.channel}" - object does not exist.`] });
      }
      return batchJson(catalog().batches.update(channel, pk, body as BatchUpdate));
    });

    app.post('/api/v1/channel/:cid/error_reports/', async (request, reply) => {
      const body = validateBody(errorReportFields, request.body);
      const report = catalog().reports.add(channelOf(request), body as Required<typeof body>);
      return reply.code(201).send(errorReportJson(report));
    });

    app.get('/api/v1/channel/:cid/error_reports/', async (request) => {
      const query = request.query as Query;
      const channel = channelOf(request);
      const prefix = single(query, 'error_code__startswith');
      const isOk = single(query, 'is_ok');
      const objectId = single(query, 'action_object_id');
      const reports = catalog().reports.all.filter(
        (r) =>
          r.channel === channel &&
          (prefix === undefined || r.error_code.startsWith(prefix)) &&
          (isOk === undefined || r.is_ok === /^(true|1)$/i.test(isOk)) &&
          (objectId === undefined || r.action_object_id === Number(objectId)),
      );
      return listPage(request, reports.map(errorReportJson));
    });

    app.get('/api/v1/content_types/', async (request) => {
      const model = single(request.query as Query, 'model');
      return listPage(
        request,
        CONTENT_TYPES.filter((c) => model === undefined || c.model === model),
      );
    });

    app.get('/api/v1/channel/:cid/products/', async (request) => {
      const { model, products } = catalog();
      const pks = many(request.query as Query, 'pk__in')?.map(Number);
      const skus = many(request.query as Query, 'sku__in');
      const source =
        pks ??
        skus?.map((sku) => (model.whippy.skuIndex.get(sku) ?? -1) + 1).filter((pk) => pk > 0) ??
        Array.from({ length: model.whippy.skus.length }, (_, i) => i + 1);
      const found = source.map((pk) => products.product(pk)).filter((p) => p !== undefined);
      return listPage(
        request,
        sorted(found, single(request.query as Query, 'sort'), { id: (p) => p.pk, pk: (p) => p.pk }),
      );
    });

    app.get('/api/v1/channel/:cid/extra_product_prices/', async (request) => {
      const query = request.query as Query;
      const { model, products } = catalog();
      const pks = many(query, 'product__pk__in')?.map(Number);
      const priceList = Number(single(query, 'price_list') ?? model.catalog?.price_list);
      if (!pks) throw badRequest({ product__pk__in: ['This filter is required.'] });
      return listPage(
        request,
        pks.flatMap((pk) => {
          const price = products.price(pk, priceList);
          return price ? [priceJson(price)] : [];
        }),
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
