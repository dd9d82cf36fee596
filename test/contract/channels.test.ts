/**
 * Channel adapters against the sandbox marketplaces over real loopback HTTP: per-item verdicts, ordering, the
 * repeated-body rule, credentials, and every transport failure mapped to the one error hierarchy.
 */
import axios from 'axios';
import Fastify from 'fastify';
import { createChannelAdapter } from '../../src/channels/registry';
import type { BatchCheck, ChannelAdapter, ChannelItem, SendOutcome } from '../../src/channels/port';
import { ConfigError } from '../../src/config';
import {
  AuthenticationError,
  ClientRequestError,
  NetworkError,
  RateLimitedError,
  ServerError,
} from '../../src/http/errors';
import { SANDBOX_MARKETPLACE_CREDENTIALS as CREDENTIALS } from '../../src/sandbox/marketplace-state';
import { startSandbox, type Sandbox } from '../../src/sandbox/server';

const LISTINGS = Array.from({ length: 5 }, (_, i) => ({
  sku: `SKU-${i}`,
  barcode: `BC-${i}`,
  inventoryItemId: `gid://shopify/InventoryItem/${100 + i}`,
}));
const LOCATION = (n: number) => `gid://shopify/Location/${n}`;

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, marketplace: { batchDelayMs: 80 } });
});
afterAll(() => sandbox.close());
beforeEach(() => {
  sandbox.state.reset();
  sandbox.state.marketplace.addListings(LISTINGS);
});

const control = () => axios.create({ baseURL: sandbox.urls.control });
const setFaults = (faults: object) => control().put('faults/marketplace', faults);
const setOptions = (options: object) => control().put('marketplace/options', options);

function trendyol(overrides: object = {}): ChannelAdapter {
  return createChannelAdapter({
    adapter: 'trendyol',
    baseURL: sandbox.urls.trendyol,
    ...CREDENTIALS.trendyol,
    integratorName: 'Stockflow',
    ...overrides,
  });
}

function shopify(overrides: object = {}): ChannelAdapter {
  return createChannelAdapter({
    adapter: 'shopify',
    baseURL: sandbox.urls.shopify,
    accessToken: CREDENTIALS.shopify.accessToken,
    apiVersion: '2026-01',
    defaultLocationId: LOCATION(3),
    ...overrides,
  });
}

const item = (i: number | string, quantity: number, extra: Partial<ChannelItem> = {}): ChannelItem => ({
  sku: `SKU-${i}`,
  remoteId: `BC-${i}`,
  quantity,
  ...extra,
});

function asyncBatchId(outcome: SendOutcome): string {
  if (outcome.mode !== 'async') throw new Error(`expected an async outcome, got ${JSON.stringify(outcome)}`);
  return outcome.remoteBatchId;
}

async function awaitDone(adapter: ChannelAdapter, batchId: string): Promise<Extract<BatchCheck, { state: 'done' }>> {
  for (let waited = 0; waited < 3_000; waited += 20) {
    const check = await adapter.checkBatch(batchId);
    if (check.state === 'done') return check;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`batch ${batchId} never completed`);
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** One send's identity (a batch's local id in production); a fresh one per send unless a test repeats a send. */
const SEND = { sendKey: 'contract-test-send' };

describe('trendyol adapter', () => {
  test('send -> batch id -> pending -> done with a verdict per item, quantities applied', async () => {
    const adapter = trendyol();
    expect(adapter.descriptor).toEqual({
      name: 'trendyol',
      mode: 'async',
      hasWarehouses: false,
      limits: { itemsPerRequest: 1_000, requestsPerSecond: 4, maxQuantity: 20_000 },
    });
    const outcome = await adapter.sendUpdatedStocks([item(0, 5), item(1, 0), item('X', 3), item(2, 20_001)], SEND);
    const batchId = asyncBatchId(outcome);
    expect(batchId).toMatch(/^[0-9a-f-]{36}-\d+$/);

    const [exchange] = outcome.exchanges;
    expect(exchange?.method).toBe('POST');
    expect(exchange?.url).toBe(
      `${sandbox.urls.trendyol}integration/inventory/sellers/${CREDENTIALS.trendyol.sellerId}/products/price-and-inventory`,
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
    expect((error as RateLimitedError).serverMessage).toContain('15 dakika boyunca aynı isteği');
    expect((await control().get('marketplace/stats')).data.repeatedBodyRejections).toBe(1);

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

  test('wrong credentials -> AuthenticationError 401; a User-Agent not naming the seller -> 403', async () => {
    const error = await caught(trendyol({ apiSecret: 'Wr0ngSecretValue' }).sendUpdatedStocks([item(0, 1)], SEND));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    expect((error as AuthenticationError).message).not.toContain('Wr0ngSecretValue');
    expect(await caught(trendyol({ sellerId: '999' }).checkBatch('x'))).toBeInstanceOf(AuthenticationError);

    const { sellerId, apiKey, apiSecret } = CREDENTIALS.trendyol;
    const response = await axios.post(
      `${sandbox.urls.trendyol}integration/inventory/sellers/${sellerId}/products/price-and-inventory`,
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
    await expect(trendyol().sendUpdatedStocks(tooMany, SEND)).rejects.toThrow(RangeError);
    const small = trendyol({ limits: { itemsPerRequest: 2 } });
    expect(small.descriptor.limits).toEqual({ itemsPerRequest: 2, requestsPerSecond: 4, maxQuantity: 20_000 });
    await expect(small.sendUpdatedStocks([item(0, 1), item(1, 1), item(2, 1)], SEND)).rejects.toThrow('at most 2');

    const error = await caught(trendyol({ limits: { itemsPerRequest: 5_000 } }).sendUpdatedStocks(tooMany, SEND));
    expect(error).toBeInstanceOf(ClientRequestError);
    expect((error as ClientRequestError).status).toBe(400);
  });

  test('a 1,000-item batch is accepted and judged quickly', async () => {
    sandbox.state.marketplace.addListings(
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
    const sent = JSON.parse(outcome.exchanges[0]?.requestBody ?? '');
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
    expect(outcome.exchanges[0]?.url).toBe(`${sandbox.urls.shopify}admin/api/2025-10/graphql.json`);
    const input = JSON.parse(outcome.exchanges[0]?.requestBody ?? '').variables.input;
    expect(input.ignoreCompareQuantity).toBe(true);
    expect(input.quantities).toEqual([{ inventoryItemId: row(0, 0).remoteId, locationId: LOCATION(1), quantity: 2 }]);
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
