/**
 * Channel adapters against the sandbox marketplaces over real loopback HTTP: per-item verdicts, ordering, the
 * repeated-body rule, batch retention, Shopify's per-version rules and idempotency keys, credentials, and every
 * transport failure mapped to the one error hierarchy.
 */
import axios from 'axios';
import Fastify from 'fastify';
import { createChannelAdapter } from '../../src/channels/registry';
import type { ChannelAdapter, ChannelExchange, ChannelItem } from '../../src/channels/port';
import { ConfigError } from '../../src/config';
import {
  AuthenticationError,
  ClientRequestError,
  NetworkError,
  RateLimitedError,
  ServerError,
  TransientError,
} from '../../src/http/errors';
import { SANDBOX_MARKETPLACE_CREDENTIALS as CREDENTIALS } from '../../src/sandbox/marketplace-state';
import {
  awaitDone,
  caught,
  contractListings,
  marketplaceControl,
  merchantItem,
  remoteBatchId as asyncBatchId,
  useContractSandbox,
} from '../support/contract-sandbox';

const LOCATION = (n: number) => `gid://shopify/Location/${n}`;

const sandbox = useContractSandbox({ listings: contractListings(5) });
const { control, setOptions } = marketplaceControl(sandbox);
const setFaults = (faults: object) => control().put('faults/marketplace', faults);

function trendyol(overrides: object = {}): ChannelAdapter {
  return createChannelAdapter({
    adapter: 'trendyol',
    baseURL: sandbox().urls.trendyol,
    ...CREDENTIALS.trendyol,
    integratorName: 'Stockflow',
    ...overrides,
  });
}

function shopify(overrides: object = {}): ChannelAdapter {
  return createChannelAdapter({
    adapter: 'shopify',
    baseURL: sandbox().urls.shopify,
    accessToken: CREDENTIALS.shopify.accessToken,
    defaultLocationId: LOCATION(3),
    ...overrides,
  });
}

/** Item `i` addressed by its barcode (Trendyol's remoteId). */
const item = (i: number | string, quantity: number, extra: Partial<ChannelItem> = {}): ChannelItem =>
  merchantItem(i, quantity, { remoteId: `BC-${i}`, ...extra });

/** One send's identity (a batch's local id in production); a fresh one per send unless a test repeats a send. */
const SEND = { sendKey: 'contract-test-send' };

/** Trendyol's documented refusal of a repeated body, trailing "!" included. */
const REPEAT_MESSAGE = '15 dakika boyunca aynı isteği tekrarlı olarak atamazsınız!';

const stats = async () => (await control().get('marketplace/stats')).data;

const sentBody = (exchange: ChannelExchange | undefined) => JSON.parse(exchange?.requestBody ?? '');

/** A stand-in marketplace answering scripted responses, for answers the sandbox does not give; closed after `run`. */
async function withFake(
  route: { method: 'GET' | 'POST'; url: string },
  answers: { status: number; body: unknown }[],
  run: (baseURL: string) => Promise<void>,
): Promise<void> {
  const fake = Fastify();
  fake.route({
    ...route,
    handler: async (_request, reply) => {
      const answer = answers.shift();
      if (!answer) throw new Error('the fake ran out of answers');
      return reply.code(answer.status).send(answer.body);
    },
  });
  const baseURL = await fake.listen({ host: '127.0.0.1', port: 0 });
  try {
    await run(baseURL);
    expect(answers).toEqual([]);
  } finally {
    await fake.close();
  }
}

describe('trendyol adapter', () => {
  test('send -> batch id -> pending -> done with a verdict per item, quantities applied', async () => {
    const adapter = trendyol();
    expect(adapter.descriptor).toEqual({
      name: 'trendyol',
      mode: 'async',
      hasWarehouses: false,
      limits: { itemsPerRequest: 1_000, requestsPerSecond: 4, maxQuantity: 20_000, readItemsPerRequest: 50 },
    });
    const outcome = await adapter.sendUpdatedStocks([item(0, 5), item(1, 0), item('X', 3), item(2, 20_001)], SEND);
    const batchId = asyncBatchId(outcome);
    expect(batchId).toMatch(/^[0-9a-f-]{36}-\d+$/);

    const [exchange] = outcome.exchanges;
    expect(exchange?.method).toBe('POST');
    expect(exchange?.url).toBe(
      `${sandbox().urls.trendyol}integration/inventory/sellers/${CREDENTIALS.trendyol.sellerId}/products/price-and-inventory`,
    );
    expect(JSON.parse(exchange?.requestBody ?? '')).toEqual({
      items: [
        { barcode: 'BC-0', quantity: 5 },
        { barcode: 'BC-1', quantity: 0 },
        { barcode: 'BC-X', quantity: 3 },
        { barcode: 'BC-2', quantity: 20_001 },
      ],
    });
    expect(JSON.parse(exchange?.responseBody ?? '')).toEqual({ batchRequestId: batchId });
    expect(exchange?.status).toBe(200);

    const first = await adapter.checkBatch(batchId);
    expect(first.state).toBe('pending');
    expect(first.exchanges[0]?.method).toBe('GET');

    const done = await awaitDone(adapter, batchId);
    expect(done.results).toEqual([
      { remoteId: 'BC-0', status: 'success' },
      { remoteId: 'BC-1', status: 'success' },
      { remoteId: 'BC-X', status: 'failed', message: expect.stringContaining('BC-X') },
      { remoteId: 'BC-2', status: 'failed', message: expect.stringContaining('20000') },
    ]);
    const quantities = await control().get('marketplace/trendyol/quantities', {
      params: { barcodes: 'BC-0,BC-1,BC-2' },
    });
    expect(quantities.data).toEqual({ 'BC-0': 5, 'BC-1': 0 });
    const stats = await control().get('marketplace/stats');
    expect(stats.data).toMatchObject({ batchesAccepted: 1, batchesCompleted: 1, itemFailures: 2 });
  });

  test('exchanges carry no credentials', async () => {
    const outcome = await trendyol().sendUpdatedStocks([item(0, 1)], SEND);
    const text = JSON.stringify(outcome);
    const basic = Buffer.from(`${CREDENTIALS.trendyol.apiKey}:${CREDENTIALS.trendyol.apiSecret}`).toString('base64');
    for (const secret of [CREDENTIALS.trendyol.apiKey, CREDENTIALS.trendyol.apiSecret, basic]) {
      expect(text).not.toContain(secret);
    }
  });

  test('items no channel can accept are refused locally; a send of only those makes no call', async () => {
    const adapter = trendyol();
    const mixed = await adapter.sendUpdatedStocks([item(0, 4), item(1, -1), item(2, 1.5)], SEND);
    expect(mixed.mode).toBe('async');
    if (mixed.mode !== 'async') return;
    expect(mixed.rejected).toEqual([
      { remoteId: 'BC-1', sku: 'SKU-1', status: 'failed', message: 'quantity -1 is not a non-negative integer' },
      { remoteId: 'BC-2', sku: 'SKU-2', status: 'failed', message: 'quantity 1.5 is not a non-negative integer' },
    ]);
    expect(JSON.parse(mixed.exchanges[0]?.requestBody ?? '')).toEqual({ items: [{ barcode: 'BC-0', quantity: 4 }] });

    const requestsBefore = (await control().get('marketplace/stats')).data.requests;
    const none = await adapter.sendInsertedStocks([item(3, -2), { sku: 'SKU-4', remoteId: '', quantity: 1 }], SEND);
    expect(none).toEqual({
      mode: 'sync',
      exchanges: [],
      results: [
        { remoteId: 'BC-3', sku: 'SKU-3', status: 'failed', message: 'quantity -2 is not a non-negative integer' },
        { remoteId: '', sku: 'SKU-4', status: 'failed', message: expect.stringContaining('no remote id') },
      ],
    });
    expect((await control().get('marketplace/stats')).data.requests).toBe(requestsBefore);
  });

  test('the same body again within the repeat window is retried once the window has passed (Trendyol’s message kept)', async () => {
    const adapter = trendyol();
    await adapter.sendUpdatedStocks([item(0, 7)], SEND);
    const error = await caught(adapter.sendUpdatedStocks([item(0, 7)], SEND));
    // The earlier identical request was accepted; neither claim delivery nor give up: wait out the 15-minute window.
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryable).toBe(true);
    expect((error as RateLimitedError).retryAfterMs).toBe(15 * 60_000);
    expect((error as RateLimitedError).status).toBe(400);
    expect((error as RateLimitedError).serverMessage).toContain(REPEAT_MESSAGE);
    expect((await control().get('marketplace/stats')).data.repeatedBodyRejections).toBe(1);

    // What the sandbox answers is Trendyol's documented 400 ErrorResponse carrying the documented text.
    const { sellerId, apiKey, apiSecret } = CREDENTIALS.trendyol;
    const raw = await axios.post(
      `${sandbox().urls.trendyol}integration/inventory/sellers/${sellerId}/products/price-and-inventory`,
      { items: [{ barcode: 'BC-0', quantity: 7 }] },
      {
        auth: { username: apiKey, password: apiSecret },
        headers: { 'User-Agent': `${sellerId} - Stockflow` },
        validateStatus: () => true,
      },
    );
    expect(raw.status).toBe(400);
    expect(raw.data).toEqual({
      errors: [{ key: expect.any(String), message: REPEAT_MESSAGE, errorCode: expect.any(String) }],
    });

    // A different body is fine, and so is the same body once the window has passed.
    expect((await adapter.sendUpdatedStocks([item(0, 8)], SEND)).mode).toBe('async');
    await setOptions({ repeatWindowMs: 0 });
    expect((await adapter.sendUpdatedStocks([item(0, 7)], SEND)).mode).toBe('async');
  });

  test('a later batch is never overtaken by an earlier one', async () => {
    const adapter = trendyol();
    await setOptions({ batchDelayMs: 300 });
    const early = asyncBatchId(await adapter.sendUpdatedStocks([item(0, 9)], SEND));
    await setOptions({ batchDelayMs: 0 });
    const late = asyncBatchId(await adapter.sendUpdatedStocks([item(0, 0)], SEND));
    // Due at once, but it waits for the earlier batch.
    expect((await adapter.checkBatch(late)).state).toBe('pending');
    expect((await control().get('marketplace/trendyol/quantities')).data).toEqual({});
    await awaitDone(adapter, early);
    expect((await adapter.checkBatch(late)).state).toBe('done');
    expect((await control().get('marketplace/trendyol/quantities')).data).toEqual({ 'BC-0': 0 });
  });

  test('the repeat refusal is known by its text in any non-2xx answer, whatever its key, status or escaping', async () => {
    const route = {
      method: 'POST' as const,
      url: '/integration/inventory/sellers/:sellerId/products/price-and-inventory',
    };
    const escaped = JSON.stringify({ message: REPEAT_MESSAGE }).replace(/[^\x20-\x7e]/g, (c) => {
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    });
    expect(escaped).not.toContain('aynı');
    await withFake(
      route,
      [
        { status: 400, body: { errors: [{ key: 'some.other.key', message: REPEAT_MESSAGE, errorCode: 'E1' }] } },
        { status: 409, body: escaped },
        { status: 400, body: { errors: [{ key: 'request.repeated', message: 'Geçersiz barkod', errorCode: 'E2' }] } },
      ],
      async (baseURL) => {
        const adapter = trendyol({ baseURL, repeatWindowMs: 5_000 });
        for (const status of [400, 409]) {
          const error = await caught(adapter.sendUpdatedStocks([item(0, 1)], SEND));
          expect(error).toBeInstanceOf(RateLimitedError);
          expect(error).toMatchObject({ status, retryAfterMs: 5_000, retryable: true });
        }
        // Our old invented key with another message is no repeat refusal.
        const other = await caught(adapter.sendUpdatedStocks([item(0, 1)], SEND));
        expect(other).toBeInstanceOf(ClientRequestError);
        expect(other).not.toBeInstanceOf(RateLimitedError);
      },
    );
  });

  test('the sandbox shows batches as documented: no batch status, flat requestItem, items IN_PROGRESS then final', async () => {
    const adapter = trendyol();
    await setOptions({ batchDelayMs: 200 });
    const batchId = asyncBatchId(await adapter.sendUpdatedStocks([item(0, 5), item('X', 2)], SEND));
    const { sellerId, apiKey, apiSecret } = CREDENTIALS.trendyol;
    const read = () =>
      axios.get(
        `${sandbox().urls.trendyol}integration/product/sellers/${sellerId}/products/batch-requests/${batchId}`,
        {
          auth: { username: apiKey, password: apiSecret },
          headers: { 'User-Agent': `${sellerId} - Stockflow` },
        },
      );
    const updateRequestDate = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
    const pending = (await read()).data;
    expect(pending).not.toHaveProperty('status');
    expect(pending).toMatchObject({
      batchRequestId: batchId,
      batchRequestType: 'ProductInventoryUpdate',
      itemCount: 2,
    });
    expect(pending.items).toEqual([
      { requestItem: { barcode: 'BC-0', quantity: 5, updateRequestDate }, status: 'IN_PROGRESS', failureReasons: [] },
      { requestItem: { barcode: 'BC-X', quantity: 2, updateRequestDate }, status: 'IN_PROGRESS', failureReasons: [] },
    ]);
    expect((await adapter.checkBatch(batchId)).state).toBe('pending');

    await awaitDone(adapter, batchId);
    const done = (await read()).data;
    expect(done).not.toHaveProperty('status');
    expect(done).toMatchObject({ itemCount: 2, failedItemCount: 1 });
    expect(done.items).toEqual([
      { requestItem: { barcode: 'BC-0', quantity: 5, updateRequestDate }, status: 'SUCCESS', failureReasons: [] },
      {
        requestItem: { barcode: 'BC-X', quantity: 2, updateRequestDate },
        status: 'FAILED',
        failureReasons: [expect.stringContaining('BC-X')],
      },
    ]);
  });

  test('Trendyol’s documented sample is read as done; an item still IN_PROGRESS keeps the batch pending', async () => {
    // The "Stock & Price Güncelleme" sample of getBatchRequestResult, verbatim apart from the id.
    const sample = {
      batchRequestId: 'c57e3453-sample-1746718627',
      items: [
        {
          requestItem: {
            updateRequestDate: '2025-05-08T11:37:07.950+00:00',
            quantity: 100,
            salePrice: 100,
            barcode: '11111111111',
            listPrice: 100,
          },
          status: 'SUCCESS',
          failureReasons: [],
        },
      ],
      creationDate: 1746704227943,
      lastModification: 1746704227943,
      sourceType: 'API',
      itemCount: 1,
      failedItemCount: 0,
      batchRequestType: 'ProductInventoryUpdate',
    };
    const halfway = {
      ...sample,
      status: 'COMPLETED',
      items: [...sample.items, { requestItem: { barcode: '2222', quantity: 1 }, status: 'IN_PROGRESS' }],
    };
    await withFake(
      { method: 'GET', url: '/integration/product/sellers/:sellerId/products/batch-requests/:id' },
      [
        { status: 200, body: halfway },
        { status: 200, body: sample },
      ],
      async (baseURL) => {
        const adapter = trendyol({ baseURL });
        expect((await adapter.checkBatch(sample.batchRequestId)).state).toBe('pending');
        const done = await adapter.checkBatch(sample.batchRequestId);
        expect(done).toMatchObject({ state: 'done', results: [{ remoteId: '11111111111', status: 'success' }] });
      },
    );
  });

  test('a batch checked after Trendyol’s retention time is expired, named with its id and the 4-hour retention', async () => {
    await setOptions({ batchDelayMs: 0, trendyolResultRetentionMs: 150 });
    const adapter = trendyol();
    const batchId = asyncBatchId(await adapter.sendUpdatedStocks([item(0, 3)], SEND));
    expect((await adapter.checkBatch(batchId)).state).toBe('done');
    await new Promise((r) => setTimeout(r, 250));

    const check = await adapter.checkBatch(batchId);
    if (check.state !== 'expired') throw new Error(`expected expired, got ${JSON.stringify(check)}`);
    expect(check.reason).toContain(batchId);
    expect(check.reason).toContain('4 hours');
    expect(check.exchanges).toHaveLength(1);
    expect(check.exchanges[0]).toMatchObject({ method: 'GET', status: 404 });
    expect(JSON.parse(check.exchanges[0]?.responseBody ?? '')).toEqual({
      errors: [{ key: expect.any(String), message: expect.stringContaining(batchId), errorCode: expect.any(String) }],
    });
    // The items were applied all the same; only their result is gone. An id never issued reads the same.
    expect((await control().get('marketplace/trendyol/quantities')).data).toEqual({ 'BC-0': 3 });
    const unknown = await trendyol().checkBatch('never-issued');
    expect(unknown).toMatchObject({ state: 'expired', reason: expect.stringContaining('never-issued') });
  });

  test('wrong credentials -> AuthenticationError 401; a User-Agent not naming the seller -> 403', async () => {
    const error = await caught(trendyol({ apiSecret: 'Wr0ngSecretValue' }).sendUpdatedStocks([item(0, 1)], SEND));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    expect((error as AuthenticationError).message).not.toContain('Wr0ngSecretValue');
    expect(await caught(trendyol({ sellerId: '999' }).checkBatch('x'))).toBeInstanceOf(AuthenticationError);

    const { sellerId, apiKey, apiSecret } = CREDENTIALS.trendyol;
    const response = await axios.post(
      `${sandbox().urls.trendyol}integration/inventory/sellers/${sellerId}/products/price-and-inventory`,
      { items: [{ barcode: 'BC-0', quantity: 1 }] },
      {
        auth: { username: apiKey, password: apiSecret },
        headers: { 'User-Agent': 'curl/8.5' },
        validateStatus: () => true,
      },
    );
    expect(response.status).toBe(403);
    expect(JSON.stringify(response.data)).toContain('User-Agent');
  });

  test('more items than a request may carry: the adapter refuses (caller bug), the sandbox answers 400', async () => {
    const tooMany = Array.from({ length: 1_001 }, (_, i) => item(i, 1));
    await expect(trendyol().sendUpdatedStocks(tooMany, SEND)).rejects.toMatchObject({
      type: 'LimitExceededError',
      retryable: false,
      message: 'trendyol: 1001 items in one send, at most 1000 allowed',
    });
    const small = trendyol({ limits: { itemsPerRequest: 2 } });
    expect(small.descriptor.limits).toEqual({
      itemsPerRequest: 2,
      requestsPerSecond: 4,
      maxQuantity: 20_000,
      readItemsPerRequest: 50,
    });
    await expect(small.sendUpdatedStocks([item(0, 1), item(1, 1), item(2, 1)], SEND)).rejects.toThrow('at most 2');

    const error = await caught(trendyol({ limits: { itemsPerRequest: 5_000 } }).sendUpdatedStocks(tooMany, SEND));
    expect(error).toBeInstanceOf(ClientRequestError);
    expect((error as ClientRequestError).status).toBe(400);
  });

  test('a 1,000-item batch is accepted and judged quickly', async () => {
    sandbox().state.marketplace.addListings(
      Array.from({ length: 1_000 }, (_, i) => ({ sku: `S${i}`, barcode: `B${i}`, inventoryItemId: `I${i}` })),
    );
    await setOptions({ batchDelayMs: 0 });
    const adapter = trendyol();
    const items = Array.from({ length: 1_000 }, (_, i) => ({ sku: `S${i}`, remoteId: `B${i}`, quantity: i }));
    const started = performance.now();
    const batchId = asyncBatchId(await adapter.sendUpdatedStocks(items, SEND));
    const done = await awaitDone(adapter, batchId);
    expect(performance.now() - started).toBeLessThan(500);
    expect(done.results.filter((r) => r.status === 'success')).toHaveLength(1_000);
    expect((await control().get('marketplace/trendyol/quantities', { params: { barcodes: 'B999' } })).data).toEqual({
      B999: 999,
    });
  });

  test('429 with Retry-After -> RateLimitedError carrying the delay', async () => {
    await setFaults({ rateLimitRate: 1, retryAfterSeconds: 7 });
    const error = await caught(trendyol().sendUpdatedStocks([item(0, 1)], SEND));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(7_000);
    expect((error as RateLimitedError).retryable).toBe(true);
  });

  test('503 -> ServerError', async () => {
    await setFaults({ errorRate: 1 });
    const error = await caught(trendyol().checkBatch('any'));
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).status).toBe(503);
  });

  test('no answer within the client timeout -> NetworkError timedOut', async () => {
    await setFaults({ timeoutRate: 1, timeoutHoldMs: 2_000 });
    const error = await caught(trendyol({ timeoutMs: 150 }).sendUpdatedStocks([item(0, 1)], SEND));
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).timedOut).toBe(true);
    expect((error as NetworkError).retryable).toBe(true);
  });
});

describe('shopify adapter', () => {
  const row = (i: number, quantity: number, location?: number): ChannelItem => ({
    sku: `SKU-${i}`,
    remoteId: `gid://shopify/InventoryItem/${100 + i}`,
    quantity,
    ...(location === undefined ? {} : { warehouseCode: LOCATION(location) }),
  });

  test('rows are applied per location; items without a warehouse code go to the default location', async () => {
    const adapter = shopify();
    expect(adapter.descriptor).toMatchObject({ name: 'shopify', mode: 'sync', hasWarehouses: true });
    expect(adapter.descriptor.limits.itemsPerRequest).toBe(250);
    const outcome = await adapter.sendUpdatedStocks([row(0, 5, 1), row(0, 7, 2), row(1, 9)], SEND);
    expect(outcome).toEqual({
      mode: 'sync',
      exchanges: [expect.objectContaining({ method: 'POST', status: 200 })],
      results: [
        { remoteId: row(0, 0).remoteId, sku: 'SKU-0', warehouseCode: LOCATION(1), status: 'success' },
        { remoteId: row(0, 0).remoteId, sku: 'SKU-0', warehouseCode: LOCATION(2), status: 'success' },
        { remoteId: row(1, 0).remoteId, sku: 'SKU-1', warehouseCode: LOCATION(3), status: 'success' },
      ],
    });
    // The registry's default API version is the newest stable one.
    expect(outcome.exchanges[0]?.url).toBe(`${sandbox().urls.shopify}admin/api/2026-10/graphql.json`);
    const sent = JSON.parse(outcome.exchanges[0]?.requestBody ?? '');
    expect(sent.query).toContain('inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey)');
    expect(sent.variables.input).toMatchObject({ name: 'available', reason: 'correction' });
    expect(sent.variables.input.quantities[2]).toEqual({
      inventoryItemId: row(1, 0).remoteId,
      locationId: LOCATION(3),
      quantity: 9,
      changeFromQuantity: null,
    });
    expect(JSON.stringify(outcome)).not.toContain(CREDENTIALS.shopify.accessToken);
    expect((await control().get('marketplace/shopify/quantities')).data).toEqual({
      [row(0, 0).remoteId]: { [LOCATION(1)]: 5, [LOCATION(2)]: 7 },
      [row(1, 0).remoteId]: { [LOCATION(3)]: 9 },
    });
  });

  test('bad rows fail with Shopify’s message; the good rows are resent without them and applied', async () => {
    const unknownItem = { sku: 'SKU-X', remoteId: 'gid://shopify/InventoryItem/999', quantity: 1 };
    const outcome = await shopify().sendUpdatedStocks([row(0, 3, 1), unknownItem, row(1, 4, 9), row(2, 6, 2)], SEND);
    if (outcome.mode !== 'sync') throw new Error('expected sync');
    expect(outcome.results).toEqual([
      expect.objectContaining({ sku: 'SKU-0', status: 'success' }),
      expect.objectContaining({
        sku: 'SKU-X',
        status: 'failed',
        message: 'INVALID_INVENTORY_ITEM: The specified inventory item could not be found.',
      }),
      expect.objectContaining({
        sku: 'SKU-1',
        warehouseCode: LOCATION(9),
        status: 'failed',
        message: 'INVALID_LOCATION: The specified location could not be found.',
      }),
      expect.objectContaining({ sku: 'SKU-2', warehouseCode: LOCATION(2), status: 'success' }),
    ]);
    expect(outcome.exchanges).toHaveLength(2);
    const resent = JSON.parse(outcome.exchanges[1]?.requestBody ?? '').variables.input.quantities;
    expect(resent.map((q: { quantity: number }) => q.quantity)).toEqual([3, 6]);
    expect((await control().get('marketplace/shopify/quantities')).data).toEqual({
      [row(0, 0).remoteId]: { [LOCATION(1)]: 3 },
      [row(2, 0).remoteId]: { [LOCATION(2)]: 6 },
    });
  });

  test('before API 2026-01 the compare check is skipped with ignoreCompareQuantity instead of changeFromQuantity', async () => {
    const outcome = await shopify({ apiVersion: '2025-10' }).sendUpdatedStocks([row(0, 2, 1)], SEND);
    expect(outcome.exchanges[0]?.url).toBe(`${sandbox().urls.shopify}admin/api/2025-10/graphql.json`);
    const { query, variables } = sentBody(outcome.exchanges[0]);
    expect(query).not.toContain('@idempotent');
    expect(variables.input.ignoreCompareQuantity).toBe(true);
    expect(variables.input.quantities).toEqual([
      { inventoryItemId: row(0, 0).remoteId, locationId: LOCATION(1), quantity: 2 },
    ]);
    expect(outcome).toMatchObject({ mode: 'sync', results: [{ sku: 'SKU-0', status: 'success' }] });
    expect((await control().get('marketplace/shopify/quantities')).data).toEqual({
      [row(0, 0).remoteId]: { [LOCATION(1)]: 2 },
    });
  });

  test('API 2026-01: changeFromQuantity null on every row, no directive, no compare fields', async () => {
    const outcome = await shopify({ apiVersion: '2026-01' }).sendUpdatedStocks([row(0, 2, 1), row(1, 3, 2)], SEND);
    expect(outcome.exchanges[0]?.url).toBe(`${sandbox().urls.shopify}admin/api/2026-01/graphql.json`);
    const { query, variables } = sentBody(outcome.exchanges[0]);
    expect(query).not.toContain('@idempotent');
    expect(variables).not.toHaveProperty('idempotencyKey');
    expect(variables.input).not.toHaveProperty('ignoreCompareQuantity');
    expect(variables.input.quantities).toEqual([
      { inventoryItemId: row(0, 0).remoteId, locationId: LOCATION(1), quantity: 2, changeFromQuantity: null },
      { inventoryItemId: row(1, 0).remoteId, locationId: LOCATION(2), quantity: 3, changeFromQuantity: null },
    ]);
    expect((await control().get('marketplace/shopify/quantities')).data).toEqual({
      [row(0, 0).remoteId]: { [LOCATION(1)]: 2 },
      [row(1, 0).remoteId]: { [LOCATION(2)]: 3 },
    });
  });

  test('rows still rejected on the resend, or by a call-level userError, fail as "not applied"', async () => {
    // A scripted GraphQL endpoint: the sandbox cannot produce errors that only appear once other rows are removed.
    const answers = [
      [{ code: 'INVALID_LOCATION', field: ['input', 'quantities', '0', 'locationId'], message: 'gone' }],
      [{ code: 'INVALID_LOCATION', field: ['input', 'quantities', '0', 'locationId'], message: 'gone too' }],
      [{ code: 'INVALID_REASON', field: ['input', 'reason'], message: 'The specified reason is invalid.' }],
    ];
    const fake = Fastify();
    fake.post('/admin/api/:version/graphql.json', async () => ({
      data: { inventorySetQuantities: { inventoryAdjustmentGroup: null, userErrors: answers.shift() } },
    }));
    const baseURL = await fake.listen({ host: '127.0.0.1', port: 0 });
    try {
      const adapter = shopify({ baseURL });
      const outcome = await adapter.sendUpdatedStocks([row(0, 1, 1), row(1, 1, 1), row(2, 1, 1)], SEND);
      expect(outcome.exchanges).toHaveLength(2);
      if (outcome.mode !== 'sync') throw new Error('expected sync');
      expect(outcome.results.map((r) => [r.sku, r.status, r.message])).toEqual([
        ['SKU-0', 'failed', 'INVALID_LOCATION: gone'],
        ['SKU-1', 'failed', 'INVALID_LOCATION: gone too'],
        ['SKU-2', 'failed', 'not applied: Shopify rejected the whole mutation for other rows'],
      ]);

      const general = await adapter.sendUpdatedStocks([row(0, 1, 1), row(1, 1, 1)], SEND);
      if (general.mode !== 'sync') throw new Error('expected sync');
      expect(general.exchanges).toHaveLength(1);
      expect(general.results.map((r) => r.message)).toEqual([
        'not applied: INVALID_REASON: The specified reason is invalid.',
        'not applied: INVALID_REASON: The specified reason is invalid.',
      ]);
    } finally {
      await fake.close();
    }
  });

  test('API 2026-04: @idempotent on the field and changeFromQuantity on every row; a retry of the same rows is replayed', async () => {
    const adapter = shopify({ apiVersion: '2026-04' });
    const rows = [row(0, 5, 1), row(1, 6, 2)];
    const first = await adapter.sendUpdatedStocks(rows, SEND);
    expect(first.exchanges[0]?.url).toBe(`${sandbox().urls.shopify}admin/api/2026-04/graphql.json`);
    const { query, variables } = sentBody(first.exchanges[0]);
    expect(query).toMatch(/\$idempotencyKey: String!/);
    expect(query).toContain('inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {');
    expect(variables.idempotencyKey).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(variables.input).not.toHaveProperty('ignoreCompareQuantity');
    expect(variables.input.quantities).toEqual([
      { inventoryItemId: row(0, 0).remoteId, locationId: LOCATION(1), quantity: 5, changeFromQuantity: null },
      { inventoryItemId: row(1, 0).remoteId, locationId: LOCATION(2), quantity: 6, changeFromQuantity: null },
    ]);

    // A Temporal retry of the same page: same key, Shopify answers the stored outcome and applies nothing again.
    const retry = await adapter.sendUpdatedStocks(rows, SEND);
    expect(sentBody(retry.exchanges[0]).variables.idempotencyKey).toBe(variables.idempotencyKey);
    expect(retry).toEqual({ ...first, exchanges: [expect.objectContaining({ status: 200 })] });
    expect(await stats()).toMatchObject({
      shopifyMutations: 1,
      shopifyIdempotentReplays: 1,
      shopifyMutationsAppliedAgain: 0,
    });

    // Another send of the same rows (a later page) gets another key and is applied, which the counter shows.
    const later = await adapter.sendUpdatedStocks(rows, { sendKey: 'another-send' });
    expect(sentBody(later.exchanges[0]).variables.idempotencyKey).not.toBe(variables.idempotencyKey);
    expect(await stats()).toMatchObject({ shopifyMutations: 2, shopifyMutationsAppliedAgain: 1 });
  });

  test('the resend of the remaining rows after userErrors carries a new key; retrying the whole send applies nothing twice', async () => {
    const adapter = shopify({ apiVersion: '2026-04' });
    const unknownItem = { sku: 'SKU-X', remoteId: 'gid://shopify/InventoryItem/999', quantity: 1 };
    const rows = [row(0, 3, 1), unknownItem, row(2, 6, 2)];
    const first = await adapter.sendUpdatedStocks(rows, SEND);
    const keys = first.exchanges.map((e) => sentBody(e).variables.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
    if (first.mode !== 'sync') throw new Error('expected sync');
    expect(first.results.map((r) => [r.sku, r.status])).toEqual([
      ['SKU-0', 'success'],
      ['SKU-X', 'failed'],
      ['SKU-2', 'success'],
    ]);

    // The whole send again (its activity retried): the first key's attempt failed, so Shopify asks for a new key
    // (the next generation, derived deterministically); the resend's key is replayed.
    const again = await adapter.sendUpdatedStocks(rows, SEND);
    const againKeys = again.exchanges.map((e) => sentBody(e).variables.idempotencyKey);
    expect(againKeys).toHaveLength(3);
    expect(againKeys[0]).toBe(keys[0]);
    expect(againKeys[1]).not.toBe(keys[0]);
    expect(againKeys[2]).toBe(keys[1]);
    expect(JSON.parse(again.exchanges[0]?.responseBody ?? '').data.inventorySetQuantities.userErrors).toEqual([
      expect.objectContaining({ code: 'IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED' }),
    ]);
    expect(again).toEqual({ ...first, exchanges: expect.any(Array) });
    expect(await stats()).toMatchObject({ shopifyIdempotentReplays: 1, shopifyMutationsAppliedAgain: 0 });
    expect((await control().get('marketplace/shopify/quantities')).data).toEqual({
      [row(0, 0).remoteId]: { [LOCATION(1)]: 3 },
      [row(2, 0).remoteId]: { [LOCATION(2)]: 6 },
    });
  });

  test('IDEMPOTENCY_CONCURRENT_REQUEST -> a retryable TransientError; the retry under the same key applies once', async () => {
    const adapter = shopify({ apiVersion: '2026-10' });
    await control().put('marketplace/shopify/idempotency-fault', { code: 'IDEMPOTENCY_CONCURRENT_REQUEST', count: 1 });
    const error = await caught(adapter.sendUpdatedStocks([row(0, 4, 1)], SEND));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ retryable: true, type: 'TransientError' });
    expect((error as TransientError).serverMessage).toContain('IDEMPOTENCY_CONCURRENT_REQUEST');
    expect((await control().get('marketplace/shopify/quantities')).data).toEqual({});
    expect((await control().get('marketplace/shopify/idempotency-fault')).data).toEqual({ code: null, remaining: 0 });

    const retry = await adapter.sendUpdatedStocks([row(0, 4, 1)], SEND);
    expect(retry).toMatchObject({ results: [{ sku: 'SKU-0', status: 'success' }] });
    expect((await control().get('marketplace/shopify/quantities')).data).toEqual({
      [row(0, 0).remoteId]: { [LOCATION(1)]: 4 },
    });
    expect(await stats()).toMatchObject({ shopifyMutations: 1, shopifyMutationsAppliedAgain: 0 });
  });

  test('IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED -> the call is retried at once under a new, deterministic key', async () => {
    const adapter = shopify({ apiVersion: '2026-10' });
    await control().put('marketplace/shopify/idempotency-fault', {
      code: 'IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED',
      count: 1,
    });
    const outcome = await adapter.sendUpdatedStocks([row(0, 8, 1)], SEND);
    expect(outcome).toMatchObject({ mode: 'sync', results: [{ sku: 'SKU-0', status: 'success' }] });
    const keys = outcome.exchanges.map((e) => sentBody(e).variables.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(keys[1]).not.toBe(keys[0]);
    expect((await control().get('marketplace/shopify/quantities')).data).toEqual({
      [row(0, 0).remoteId]: { [LOCATION(1)]: 8 },
    });

    // A retry derives the same two keys: the failed one is refused again, the second replayed.
    const retry = await adapter.sendUpdatedStocks([row(0, 8, 1)], SEND);
    expect(retry.exchanges.map((e) => sentBody(e).variables.idempotencyKey)).toEqual(keys);
    expect(await stats()).toMatchObject({
      shopifyMutations: 1,
      shopifyIdempotentReplays: 1,
      shopifyMutationsAppliedAgain: 0,
    });
  });

  test('a key refused twice as failed, or reused with other parameters (a bug), fails the rows clearly', async () => {
    const refusal = (code: string) => ({
      status: 200,
      body: { data: { inventorySetQuantities: { userErrors: [{ code, field: null, message: `${code} text` }] } } },
    });
    await withFake(
      { method: 'POST', url: '/admin/api/:version/graphql.json' },
      [
        refusal('IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED'),
        refusal('IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED'),
        refusal('IDEMPOTENCY_KEY_PARAMETER_MISMATCH'),
      ],
      async (baseURL) => {
        const adapter = shopify({ baseURL });
        const failedTwice = await adapter.sendUpdatedStocks([row(0, 1, 1), row(1, 1, 1)], SEND);
        if (failedTwice.mode !== 'sync') throw new Error('expected sync');
        // At most one new key per call.
        expect(failedTwice.exchanges).toHaveLength(2);
        expect(failedTwice.results.map((r) => [r.sku, r.status, r.message])).toEqual([
          [
            'SKU-0',
            'failed',
            'not applied: IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED: IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED text',
          ],
          [
            'SKU-1',
            'failed',
            'not applied: IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED: IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED text',
          ],
        ]);

        const mismatch = await adapter.sendUpdatedStocks([row(0, 1, 1)], SEND);
        if (mismatch.mode !== 'sync') throw new Error('expected sync');
        expect(mismatch.exchanges).toHaveLength(1);
        expect(mismatch.results).toEqual([
          expect.objectContaining({
            sku: 'SKU-0',
            status: 'failed',
            message: expect.stringMatching(/^not applied: IDEMPOTENCY_KEY_PARAMETER_MISMATCH: .*a bug/),
          }),
        ]);
      },
    );
  });

  test('the sandbox refuses, from 2026-04, what the real API refuses: no directive, no changeFromQuantity, compare fields', async () => {
    const quantity = { inventoryItemId: row(0, 0).remoteId, locationId: LOCATION(1), quantity: 4 };
    const input = (rows: object[], extra: object = {}) => ({
      name: 'available',
      reason: 'correction',
      ...extra,
      quantities: rows,
    });
    const plain =
      'mutation M($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code field message } } }';
    const keyed =
      'mutation M($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) { inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) { inventoryAdjustmentGroup { id } userErrors { code field message } } }';
    const post = async (version: string, query: string, variables: object) =>
      (
        await axios.post(
          `${sandbox().urls.shopify}admin/api/${version}/graphql.json`,
          { query, variables },
          { headers: { 'X-Shopify-Access-Token': CREDENTIALS.shopify.accessToken } },
        )
      ).data;

    const noDirective = await post('2026-04', plain, { input: input([{ ...quantity, changeFromQuantity: null }]) });
    expect(noDirective.data).toEqual({ inventorySetQuantities: null });
    expect(noDirective.errors).toEqual([
      {
        message: 'The @idempotent directive is required for this mutation but was not provided.',
        path: ['inventorySetQuantities'],
        extensions: { code: 'BAD_REQUEST' },
      },
    ]);

    const noChangeFrom = await post('2026-10', keyed, { input: input([quantity]), idempotencyKey: 'k-1' });
    expect(noChangeFrom.data).toEqual({ inventorySetQuantities: null });
    expect(noChangeFrom.errors).toEqual([
      expect.objectContaining({
        message: 'InventoryQuantityInput must include the following argument: changeFromQuantity',
        extensions: { code: 'INVALID_FIELD_ARGUMENTS' },
      }),
    ]);

    const ignoreCompare = await post('2026-04', keyed, {
      input: input([{ ...quantity, changeFromQuantity: null }], { ignoreCompareQuantity: true }),
      idempotencyKey: 'k-2',
    });
    expect(ignoreCompare.errors).toEqual([
      {
        message:
          'Variable $input of type InventorySetQuantitiesInput! was provided invalid value for ignoreCompareQuantity (Field is not defined on InventorySetQuantitiesInput)',
        extensions: { code: 'INVALID_VARIABLE' },
      },
    ]);
    const compare = await post('2026-04', keyed, {
      input: input([{ ...quantity, changeFromQuantity: null, compareQuantity: 0 }]),
      idempotencyKey: 'k-3',
    });
    expect(compare.errors).toEqual([
      expect.objectContaining({
        message: expect.stringContaining(
          'invalid value for quantities.0.compareQuantity (Field is not defined on InventoryQuantityInput)',
        ),
        extensions: { code: 'INVALID_VARIABLE' },
      }),
    ]);
    expect((await control().get('marketplace/shopify/quantities')).data).toEqual({});
    expect((await stats()).shopifyMutations).toBe(0);

    // The same key with other parameters: a userError, nothing applied.
    const ok = await post('2026-04', keyed, {
      input: input([{ ...quantity, changeFromQuantity: null }]),
      idempotencyKey: 'k-4',
    });
    expect(ok.data.inventorySetQuantities).toMatchObject({
      inventoryAdjustmentGroup: { id: expect.any(String) },
      userErrors: [],
    });
    const mismatch = await post('2026-04', keyed, {
      input: input([{ ...quantity, quantity: 5, changeFromQuantity: null }]),
      idempotencyKey: 'k-4',
    });
    expect(mismatch.data.inventorySetQuantities).toEqual({
      inventoryAdjustmentGroup: null,
      userErrors: [
        {
          code: 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH',
          field: null,
          message: 'The same idempotency key cannot be used with different operation parameters.',
        },
      ],
    });
    expect((await control().get('marketplace/shopify/quantities')).data).toEqual({
      [quantity.inventoryItemId]: { [LOCATION(1)]: 4 },
    });

    // Before 2026-04 the directive is optional.
    const older = await post('2026-01', plain, {
      input: input([{ ...quantity, quantity: 6, changeFromQuantity: null }]),
    });
    expect(older.data.inventorySetQuantities.userErrors).toEqual([]);
    expect((await control().get('marketplace/shopify/quantities')).data).toEqual({
      [quantity.inventoryItemId]: { [LOCATION(1)]: 6 },
    });
  });

  test('the idempotency fault control is bounded', async () => {
    const put = (body: object) =>
      control().put('marketplace/shopify/idempotency-fault', body, { validateStatus: () => true });
    const tooMany = await put({ code: 'IDEMPOTENCY_CONCURRENT_REQUEST', count: 1_001 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.data).toEqual({ count: ['at most 1000 mutations at a time'] });
    expect((await put({ code: 'SOMETHING_ELSE', count: 1 })).status).toBe(400);
    expect((await put({ code: 'IDEMPOTENCY_CONCURRENT_REQUEST', count: 3 })).data).toEqual({
      code: 'IDEMPOTENCY_CONCURRENT_REQUEST',
      remaining: 3,
    });
    expect((await put({ code: 'IDEMPOTENCY_CONCURRENT_REQUEST', count: 0 })).data.remaining).toBe(0);
    expect((await control().get('marketplace/shopify/idempotency-fault')).data).toEqual({ code: null, remaining: 0 });
  });

  test('a warehouse code that is no location gid is refused locally', async () => {
    const outcome = await shopify({ defaultLocationId: undefined }).sendUpdatedStocks(
      [{ ...row(0, 1), warehouseCode: 'ae' }, row(1, 1)],
      SEND,
    );
    expect(outcome).toEqual({
      mode: 'sync',
      exchanges: [],
      results: [
        expect.objectContaining({
          sku: 'SKU-0',
          status: 'failed',
          message: expect.stringContaining('not a Shopify location'),
        }),
        expect.objectContaining({
          sku: 'SKU-1',
          status: 'failed',
          message: expect.stringContaining('no Shopify location'),
        }),
      ],
    });
  });

  test('GraphQL THROTTLED -> RateLimitedError with the time the bucket needs to refill', async () => {
    await setOptions({ shopifyMaximumAvailable: 10, shopifyRestoreRate: 1 });
    const adapter = shopify();
    expect((await adapter.sendUpdatedStocks([row(0, 1, 1)], SEND)).mode).toBe('sync');
    const error = await caught(adapter.sendUpdatedStocks([row(0, 2, 1)], SEND));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBeGreaterThanOrEqual(9_000);
    expect((error as RateLimitedError).retryAfterMs).toBeLessThanOrEqual(10_000);
    expect((error as RateLimitedError).serverMessage).toContain('THROTTLED');
    expect((await control().get('marketplace/stats')).data.shopifyThrottled).toBe(1);
  });

  test('a wrong access token -> AuthenticationError; an HTTP 429 -> RateLimitedError', async () => {
    const error = await caught(shopify({ accessToken: 'shpat_wrong' }).sendUpdatedStocks([row(0, 1, 1)], SEND));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).message).not.toContain('shpat_wrong');

    await setFaults({ rateLimitRate: 1, retryAfterSeconds: 2 });
    const limited = await caught(shopify().sendUpdatedStocks([row(0, 1, 1)], SEND));
    expect((limited as RateLimitedError).retryAfterMs).toBe(2_000);
  });

  test('a synchronous channel has no batches to check', async () => {
    await expect(shopify().checkBatch('any')).rejects.toThrow('synchronous');
  });
});

describe('channel registry', () => {
  test('invalid configuration names every bad key and never echoes a secret', () => {
    let error: unknown;
    try {
      createChannelAdapter({
        adapter: 'trendyol',
        baseURL: 'https://user:pa55word@api.example.com/',
        sellerId: 'abc',
        apiKey: 'TOP-SECRET-KEY',
        apiSecret: '',
        integratorName: 'bad name!',
        limits: { itemsPerRequest: 0 },
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = (error as ConfigError).problems.map((p) => p.key).sort();
    expect(keys).toEqual(['apiSecret', 'baseURL', 'integratorName', 'limits.itemsPerRequest', 'sellerId']);
    expect((error as ConfigError).message).not.toMatch(/TOP-SECRET-KEY|pa55word/);
    expect(() => createChannelAdapter({ adapter: 'ebay' })).toThrow(ConfigError);
  });
});
