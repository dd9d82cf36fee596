/**
 * The Omnitron client against the shapes of the real sources, over a loopback server that answers the project's own
 * fixtures (test/contract/fixtures/omnitron.ts) and records every request: each resource the client reads is read in
 * BOTH shapes where the official spec and the reference implementation disagree, and each write's body is compared
 * key by key with what the reference sends, named as the spec names it.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { ClientRequestError, RateLimitedError } from '../../src/http/errors';
import { ID_QUERY_BYTES, MAX_IDS_PER_REQUEST, OmnitronClient } from '../../src/omnitron/client';
import { batchObject } from '../../src/omnitron/schemas';
import { LOGINS_PER_WINDOW } from '../../src/omnitron/session';
import {
  BATCH_REQUEST,
  CATALOG,
  CHANNEL,
  CONTENT_TYPES,
  ERROR_REPORTS,
  INTEGRATION_ACTIONS,
  PRICES,
  PRODUCT_STOCKS,
  PRODUCTS,
} from './fixtures/omnitron';

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  url: string;
  body: unknown;
}

let server: FastifyInstance;
let base: string;
const recorded: Recorded[] = [];
/** method + path -> answer (a function sees the request). */
const answers = new Map<string, (request: Recorded) => { status?: number; body: unknown }>();
let logins = 0;
let validToken = 'token-1';

const serve = (method: string, path: string, body: unknown | ((r: Recorded) => unknown), status = 200) =>
  answers.set(`${method} ${path}`, (request) => ({
    status,
    body: typeof body === 'function' ? (body as (r: Recorded) => unknown)(request) : body,
  }));
const requestsTo = (method: string, path: string) => recorded.filter((r) => r.method === method && r.path === path);
const client = () => new OmnitronClient({ baseURL: `${base}/api/v1/`, username: 'integrator', password: 's3cret' });

beforeAll(async () => {
  server = Fastify();
  server.all('/*', async (request, reply) => {
    const url = new URL(request.url, 'http://x');
    const path = url.pathname.replace(/^\/api\/v1\//, '');
    const entry: Recorded = {
      method: request.method,
      path,
      query: url.searchParams,
      url: request.url,
      body: request.body,
    };
    recorded.push(entry);
    if (path === 'auth/login/') {
      if ((request.body as { password?: string }).password !== 's3cret') {
        return reply.code(400).send({ non_field_errors: ['Unable to log in with provided credentials.'] });
      }
      logins++;
      validToken = `token-${logins}`;
      return { key: validToken };
    }
    if (request.headers.authorization !== `Token ${validToken}`)
      return reply.code(401).send({ detail: 'Invalid token.' });
    const answer = answers.get(`${request.method} ${path}`);
    if (!answer) return reply.code(404).send({ detail: 'Not found.' });
    const { status, body } = answer(entry);
    return reply.code(status ?? 200).send(body);
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address();
  base = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : '';
});
afterAll(() => server.close());
beforeEach(() => {
  recorded.length = 0;
  answers.clear();
});

describe('reads both shapes', () => {
  test('channel: keyed id (spec) or pk (reference); WAREHOUSE_CODES as a dict or a JSON string', async () => {
    serve('GET', 'channels/7/', CHANNEL.spec);
    expect(await client().getChannel(7)).toMatchObject({
      pk: 7,
      is_active: true,
      catalog: 3,
      conf: { WAREHOUSE_CODES: { '11': 'WH-A', '12': 'WH-B' }, remote_id_attribute: 'sku' },
    });
    serve('GET', 'channels/7/', CHANNEL.reference);
    expect(await client().getChannel(7)).toMatchObject({ pk: 7, conf: { remote_id_attribute: null } });
    serve('GET', 'channels/7/', CHANNEL.stringConf);
    expect(await client().getChannel(7)).toMatchObject({
      pk: 7,
      is_active: false,
      conf: { WAREHOUSE_CODES: { '11': 'WH-A', '12': '12' } },
    });
  });

  test('catalogue: keyed id or pk; extra lists and price list may be null', async () => {
    serve('GET', 'catalogs/3/', CATALOG.spec);
    expect(await client().getCatalog(3)).toMatchObject({
      pk: 3,
      stock_list: 10,
      extra_stock_lists: [11, 12],
      price_list: 4,
    });
    serve('GET', 'catalogs/3/', CATALOG.reference);
    expect(await client().getCatalog(3)).toMatchObject({ pk: 3, extra_stock_lists: [], price_list: null });
  });

  test('integration actions: nested channel and no key (spec); pk, int channel, null status, string content type (reference)', async () => {
    for (const page of [INTEGRATION_ACTIONS.spec, INTEGRATION_ACTIONS.reference]) {
      serve('GET', 'channel/7/integration_actions/', page);
      const read = await client().listIntegrationActions(7, { object_id__in: [501, 77] });
      expect(read.results.map((a) => [a.model, a.object_id, a.channel])).toEqual([
        ['productstock', 501, 7],
        ['product', 77, 7],
      ]);
    }
    serve('GET', 'channel/7/integration_actions/', INTEGRATION_ACTIONS.reference);
    const [stock, product] = (await client().listIntegrationActions(7)).results;
    expect(stock).toMatchObject({ status: null, local_batch_id: null, remote_id: null });
    expect(product).toMatchObject({ status: 'success', remote_id: '7700' });
  });

  test('batch requests: objects null, no dates, a number as remote id, any failed_reason_type', async () => {
    serve('GET', 'channel/7/batch_requests/40/', BATCH_REQUEST.spec);
    const done = await client().getBatch(7, 40);
    expect(done.objects.map((o) => [o.pk, o.failed_reason_type, o.remote_id])).toEqual([
      [501, null, 'BARCODE-501'],
      [502, 'channel_app', null],
    ]);
    serve('GET', 'channel/7/batch_requests/41/', BATCH_REQUEST.reference);
    expect(await client().getBatch(7, 41)).toMatchObject({ pk: 41, channel: 7, objects: [], content_type: null });
    serve('GET', 'channel/7/batch_requests/42/', BATCH_REQUEST.numericRemoteId);
    const ongoing = await client().getBatch(7, 42);
    expect(ongoing).toMatchObject({ remote_batch_id: '123456', status: 'ongoing' });
    expect(ongoing.objects[0]).toMatchObject({ remote_id: '8690001', failed_reason_type: 'out_of_sync' });
  });

  test('prices: keyed id with numbers (spec) or pk with decimal strings (reference)', async () => {
    serve('GET', 'channel/7/extra_product_prices/', PRICES.spec);
    expect(await client().listExtraProductPrices(7, [77], 4)).toMatchObject([{ pk: 61, product: 77, price: 120.5 }]);
    serve('GET', 'channel/7/extra_product_prices/', PRICES.reference);
    expect(await client().listExtraProductPrices(7, [78], 4)).toMatchObject([
      { pk: 62, product: 78, price: 645.11, retail_price: 700 },
    ]);
  });

  test('error reports and content types: keyed id (spec) or pk (reference)', async () => {
    serve('GET', 'channel/7/error_reports/', ERROR_REPORTS.spec);
    expect((await client().listErrorReports(7)).results).toMatchObject([{ pk: 5, error_desc: 'SendUpdatedStocks' }]);
    serve('GET', 'channel/7/error_reports/', ERROR_REPORTS.reference);
    expect((await client().listErrorReports(7)).results).toMatchObject([{ pk: 6, raw_request: null, is_ok: false }]);
    serve('GET', 'content_types/', (r: Recorded) =>
      r.query.get('model') === 'channel' ? CONTENT_TYPES.spec : CONTENT_TYPES.reference,
    );
    const omnitron = client();
    expect(await omnitron.getContentType('channel')).toMatchObject({ pk: 31 });
    expect(await omnitron.getContentType('batchrequest')).toMatchObject({ pk: 30 });
    // Content types are asked once per model and process.
    await omnitron.getContentType('channel');
    expect(requestsTo('GET', 'content_types/')).toHaveLength(2);
  });

  test('products keep every attribute; product stocks read without next/previous and with extra fields', async () => {
    serve('GET', 'channel/7/products/', PRODUCTS.page);
    const products = await client().listProducts(7, [77, 78]);
    expect(products.map((p) => p.pk)).toEqual([77, 78]);
    expect(products[0]).toMatchObject({ attributes: { barcode: '8690000000077' } });
    serve('GET', 'channel/7/product_stocks/updates/', PRODUCT_STOCKS.page);
    const page = await client().fetchProductStocks({ channelId: 7, kind: 'updates', limit: 100 });
    expect(page).toMatchObject({ count: 2, next: null, malformed: [] });
    expect(page.stocks.map((s) => [s.pk, s.stock])).toEqual([
      [501, 12],
      [502, 0],
    ]);
  });
});

describe('writes exactly what the reference sends', () => {
  const batch = { ...BATCH_REQUEST.spec, status: 'initialized', objects: null };

  test('batch create names only the channel; every update names the channel', async () => {
    serve('POST', 'channel/7/batch_requests/', batch, 201);
    serve('PATCH', 'channel/7/batch_requests/40/', batch);
    const omnitron = client();
    await omnitron.createBatch(7);
    await omnitron.commitBatch(7, 40, [{ pk: 501, version_date: '2025-09-03T10:00:00Z' }]);
    await omnitron.markSentToRemote(7, 40, 'remote-40');
    await omnitron.markOngoing(7, 40);
    await omnitron.markDone(7, 40, [
      batchObject(501, { remote_id: 'BARCODE-501', version_date: '2025-09-03T10:00:00Z' }),
      batchObject(502, { failed_reason_type: 'channel_app', version_date: '2025-09-03T10:00:00Z' }),
    ]);
    await omnitron.markFail(7, 40);

    expect(requestsTo('POST', 'channel/7/batch_requests/').map((r) => r.body)).toEqual([{ channel: 7 }]);
    const patches = requestsTo('PATCH', 'channel/7/batch_requests/40/').map((r) => r.body as Record<string, unknown>);
    expect(patches.map((b) => Object.keys(b).sort())).toEqual([
      ['channel', 'content_type', 'objects', 'status'],
      ['channel', 'remote_batch_id', 'status'],
      ['channel', 'status'],
      ['channel', 'objects', 'status'],
      ['channel', 'objects', 'status'],
    ]);
    expect(patches.map((b) => [b.channel, b.status])).toEqual([
      [7, 'commit'],
      [7, 'sent_to_remote'],
      [7, 'ongoing'],
      [7, 'done'],
      [7, 'fail'],
    ]);
    const objectKeys = ['content_type', 'failed_reason_type', 'pk', 'remote_id', 'version_date'];
    const [commit, , , done, fail] = patches;
    expect((commit?.objects as object[]).map((o) => Object.keys(o).sort())).toEqual([objectKeys]);
    expect(commit?.objects).toEqual([
      {
        pk: 501,
        failed_reason_type: null,
        remote_id: null,
        version_date: '2025-09-03T10:00:00Z',
        content_type: 'productstock',
      },
    ]);
    expect((done?.objects as object[]).map((o) => Object.keys(o).sort())).toEqual([objectKeys, objectKeys]);
    expect(fail?.objects).toBeNull();
  });

  test('an error report carries the ten fields of the reference, named as the spec names them', async () => {
    serve('POST', 'channel/7/error_reports/', '', 201);
    await client().createErrorReport(7, {
      action_content_type: 30,
      action_object_id: 40,
      target_content_type: 31,
      target_object_id: '7',
      obj_modified_date: '2025-09-03T10:00:00Z',
      error_code: 'x-Channel-SendUpdatedStocks-1',
      error_desc: 'SendUpdatedStocks: accepted',
      raw_request: 'POST-url-{}',
      raw_response: '{}',
      is_ok: true,
    });
    const [report] = requestsTo('POST', 'channel/7/error_reports/');
    expect(Object.keys(report?.body as object).sort()).toEqual([
      'action_content_type',
      'action_object_id',
      'error_code',
      'error_desc',
      'is_ok',
      'obj_modified_date',
      'raw_request',
      'raw_response',
      'target_content_type',
      'target_object_id',
    ]);
  });

  test('long id lists go out in chunks under 8 KiB of query, every id once and in order, sorted by id', async () => {
    serve('GET', 'channel/7/integration_actions/', { count: 0, next: null, previous: null, results: [] });
    serve('GET', 'channel/7/product_stocks/', { count: 0, next: null, previous: null, results: [] });
    const ids = Array.from({ length: 1_000 }, (_, i) => 200_000_001 + i);
    const remoteIds = ids.map((id) => `gid://shopify/InventoryItem/${id}`);
    const omnitron = client();
    const drain = async (actions: AsyncGenerator<unknown>) => {
      for await (const action of actions) throw new Error(`no action expected, got ${JSON.stringify(action)}`);
    };
    await drain(omnitron.iterateIntegrationActions(7, { object_id__in: ids, content_type_name: 'product' }));
    await drain(omnitron.iterateIntegrationActions(7, { remote_id__in: remoteIds }));
    await omnitron.getProductStocks(7, ids);
    const actionCalls = requestsTo('GET', 'channel/7/integration_actions/');
    const listOf = (calls: Recorded[], key: string) => calls.flatMap((r) => (r.query.get(key) ?? '').split(','));
    const byObject = actionCalls.filter((r) => r.query.has('object_id__in'));
    const byRemote = actionCalls.filter((r) => r.query.has('remote_id__in'));
    const stockCalls = requestsTo('GET', 'channel/7/product_stocks/');
    // The same 1,000 ids in one request would not fit; in chunks every id is asked once, in order.
    expect(ids.join(',').length).toBeGreaterThan(8 * 1024);
    expect(listOf(byObject, 'object_id__in').map(Number)).toEqual(ids);
    expect(listOf(byRemote, 'remote_id__in')).toEqual(remoteIds);
    expect(listOf(stockCalls, 'pk__in').map(Number)).toEqual(ids);
    // Packed, not chunked by a small count: about as few requests as the query budget allows.
    const packedBytes = (list: readonly (number | string)[]) =>
      list.reduce<number>((sum, id) => sum + encodeURIComponent(String(id)).length + 1, 0);
    for (const [calls, list] of [
      [byObject, ids],
      [byRemote, remoteIds],
      [stockCalls, ids],
    ] as const) {
      expect(calls.length).toBeGreaterThan(1);
      expect(calls.length).toBeLessThanOrEqual(Math.ceil(packedBytes(list) / ID_QUERY_BYTES) + 1);
    }
    const urls = [...actionCalls, ...stockCalls].map((r) => Buffer.byteLength(r.url));
    expect(Math.max(...urls)).toBeLessThan(8 * 1024);
    expect(actionCalls.length).toBeGreaterThan(0); // so that `every` below is not vacuously true
    expect(actionCalls.every((r) => r.query.get('sort') === 'id')).toBe(true);
    // Each chunk asks for a page of its own size (limit) and at most MAX_IDS_PER_REQUEST ids.
    for (const call of stockCalls) {
      const n = (call.query.get('pk__in') ?? '').split(',').length;
      expect(Number(call.query.get('limit'))).toBe(n);
      expect(n).toBeLessThanOrEqual(MAX_IDS_PER_REQUEST);
    }
  });

  test('a chunk whose answer the server pages (a lower page-size cap) is read through next', async () => {
    const records = Array.from({ length: 30 }, (_, i) => ({ pk: 600 + i, product: i, stock: i, modified_date: 'x' }));
    serve('GET', 'channel/7/product_stocks/', (r: Recorded) => {
      const page = Number(r.query.get('page') ?? 1);
      const slice = records.slice((page - 1) * 10, page * 10);
      return { count: records.length, next: page < 3 ? `page=${page + 1}` : null, previous: null, results: slice };
    });
    const read = await client().getProductStocks(
      7,
      records.map((r) => r.pk),
    );
    expect(read.stocks.map((s) => s.pk)).toEqual(records.map((r) => r.pk));
    expect(requestsTo('GET', 'channel/7/product_stocks/').map((r) => r.query.get('page'))).toEqual(['1', '2', '3']);
  });

  test('batch lists ask like the reference: repeated status, content type and the channel', async () => {
    serve('GET', 'channel/7/batch_requests/', { count: 0, next: null, previous: null, results: [] });
    await client().listBatches(7, { status: ['sent_to_remote', 'ongoing'], content_type: 'productstock' });
    const [call] = requestsTo('GET', 'channel/7/batch_requests/');
    expect(call?.query.getAll('status')).toEqual(['sent_to_remote', 'ongoing']);
    expect(call?.query.get('content_type')).toBe('productstock');
    expect(call?.query.get('channel')).toBe('7');
  });
});

describe('login', () => {
  test('concurrent calls of one process share one login; a 401 re-logs in once for all of them', async () => {
    serve('GET', 'catalogs/3/', CATALOG.spec);
    const omnitron = client();
    const before = logins;
    await Promise.all(Array.from({ length: 20 }, () => omnitron.getCatalog(3)));
    expect(logins - before).toBe(1);
    validToken = 'expired-by-the-server';
    await Promise.all(Array.from({ length: 20 }, () => omnitron.getCatalog(3)));
    expect(logins - before).toBe(2);
    const [login] = requestsTo('POST', 'auth/login/');
    expect(login?.body).toEqual({ username: 'integrator', password: 's3cret' });
  });

  test(`at most ${LOGINS_PER_WINDOW} logins in 6 minutes: then the call waits (RateLimitedError), never hammering`, async () => {
    serve('GET', 'catalogs/3/', CATALOG.spec);
    const omnitron = client();
    const before = logins;
    // Each round the server forgets the token: the client logs in again, until its window is full.
    for (let round = 0; round < LOGINS_PER_WINDOW; round++) {
      validToken = `forgotten-${round}`;
      await omnitron.getCatalog(3);
    }
    expect(logins - before).toBe(LOGINS_PER_WINDOW);
    validToken = 'forgotten-again';
    const err = await omnitron.getCatalog(3).catch((e: unknown) => e);
    // The 401 re-login is refused by the throttle, not sent: the server saw no fourth login.
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBeGreaterThan(5 * 60_000);
    expect(logins - before).toBe(LOGINS_PER_WINDOW);
    expect(String(err)).not.toContain('s3cret');
  });

  test('refused credentials surface as they are (not retried); the password never does', async () => {
    const wrong = new OmnitronClient({ baseURL: `${base}/api/v1/`, username: 'integrator', password: 'hunter2' });
    serve('GET', 'catalogs/3/', CATALOG.spec);
    const err = await wrong.getCatalog(3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientRequestError);
    expect(err).toMatchObject({ status: 400, retryable: false });
    expect((err as ClientRequestError).serverMessage).toContain('Unable to log in');
    expect(String((err as Error).message)).not.toContain('hunter2');
  });
});
