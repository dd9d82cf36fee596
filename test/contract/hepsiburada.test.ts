/**
 * The Hepsiburada adapter against the sandbox's listing host over real loopback HTTP, built from the documented
 * shapes (developers.hepsiburada.com "Listing Stok Güncelleme" / "... Sorgulama" / "Listing Bilgilerini Sorgulama"):
 * stock uploads by merchantSku, a status read that names only the failed items (matched back by merchantSku, with
 * elementNo the 1-based position), the open set of statuses, at most 5 pending uploads, Basic merchantId:serviceKey
 * plus the integrator's User-Agent, 429 with X-RateLimit-Reset, and the listing read reconciliation uses.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import axios from 'axios';
import Fastify from 'fastify';
import { createStockActivities } from '../../activities';
import { createChannelAdapter } from '../../src/channels/registry';
import type { ChannelAdapter } from '../../src/channels/port';
import { ConfigError } from '../../src/config';
import { AuthenticationError, ClientRequestError, LimitExceededError, RateLimitedError } from '../../src/http/errors';
import { sandboxStockDeps } from '../../src/sandbox/connect';
import { HEPSIBURADA_SANDBOX_CREDENTIALS as CREDENTIALS } from '../../src/sandbox/faces/hepsiburada/face';
import {
  awaitDone as awaitDoneOf,
  caught,
  contractListings,
  marketplaceControl,
  merchantItem as item,
  remoteBatchId as uploadId,
  useContractSandbox,
} from '../support/contract-sandbox';

const LISTINGS = contractListings(60);
const SEND = { sendKey: 'hepsiburada-contract' };

const sandbox = useContractSandbox({ listings: LISTINGS });
const { control, setOptions } = marketplaceControl(sandbox);
const held = async () => (await control().get('marketplace/hepsiburada/quantities')).data as Record<string, number>;
const faceStats = async () => (await control().get('marketplace/hepsiburada/stats')).data as Record<string, number>;
const listingsUrl = () => `${sandbox().urls.hepsiburada}listings/merchantid/${CREDENTIALS.merchantId}`;

function hepsiburada(overrides: object = {}): ChannelAdapter {
  return createChannelAdapter({
    adapter: 'hepsiburada',
    baseURL: sandbox().urls.hepsiburada,
    ...CREDENTIALS,
    ...overrides,
  });
}

const awaitDone = (adapter: ChannelAdapter, id: string) => awaitDoneOf(adapter, id, { what: 'upload' });

/** A stand-in listing host answering scripted status reads, for statuses the sandbox never gives. */
async function withFakeStatus(answers: { status: number; body: unknown }[], run: (a: ChannelAdapter) => Promise<void>) {
  const fake = Fastify();
  fake.get('/listings/merchantid/:merchantId/stock-uploads/id/:id', async (_request, reply) => {
    const answer = answers.shift();
    if (!answer) throw new Error('the fake ran out of answers');
    return reply.code(answer.status).send(answer.body);
  });
  const baseURL = await fake.listen({ host: '127.0.0.1', port: 0 });
  try {
    await run(hepsiburada({ baseURL }));
    expect(answers).toEqual([]);
  } finally {
    await fake.close();
  }
}

describe('hepsiburada stock uploads', () => {
  test('send -> upload id -> PROCESSING -> done: failed items named by merchantSku, every other item applied', async () => {
    const adapter = hepsiburada();
    expect(adapter.descriptor).toEqual({
      name: 'hepsiburada',
      mode: 'async',
      hasWarehouses: false,
      limits: { itemsPerRequest: 1_000, requestsPerSecond: 4, maxQuantity: 1_000_000, readItemsPerRequest: 50 },
    });
    const outcome = await adapter.sendUpdatedStocks([item(0, 5), item('X', 3), item(1, 0), item(2, 1_000_001)], SEND);
    const id = uploadId(outcome);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const [sent] = outcome.exchanges;
    expect(sent?.method).toBe('POST');
    expect(sent?.url).toBe(`${listingsUrl()}/stock-uploads`);
    expect(JSON.parse(sent?.requestBody ?? '')).toEqual([
      { merchantSku: 'SKU-0', availableStock: 5 },
      { merchantSku: 'SKU-X', availableStock: 3 },
      { merchantSku: 'SKU-1', availableStock: 0 },
      { merchantSku: 'SKU-2', availableStock: 1_000_001 },
    ]);
    expect(JSON.parse(sent?.responseBody ?? '')).toEqual({ id });

    const first = await adapter.checkBatch(id);
    expect(first.state).toBe('pending');
    expect(JSON.parse(first.exchanges[0]?.responseBody ?? '')).toMatchObject({ id, status: 'PROCESSING', total: 4 });

    const done = await awaitDone(adapter, id);
    expect(done.results).toEqual([
      { remoteId: 'SKU-X', status: 'failed', message: 'ProductNotFound' },
      { remoteId: 'SKU-2', status: 'failed', message: 'InvalidAvailableStock' },
    ]);
    expect(done.unnamed).toEqual({ status: 'success' });
    // The result is matched back by merchantSku; elementNo is the item's 1-based place in the upload.
    expect(JSON.parse(done.exchanges[0]?.responseBody ?? '')).toMatchObject({
      status: 'COMPLETED_WITH_ERRORS',
      total: 4,
      errors: [
        { elementNo: 2, merchantSku: 'SKU-X', errors: ['ProductNotFound'] },
        { elementNo: 4, merchantSku: 'SKU-2', errors: ['InvalidAvailableStock'] },
      ],
    });
    expect(await held()).toEqual({ 'SKU-0': 5, 'SKU-1': 0 });
    expect(await faceStats()).toMatchObject({ sendsAccepted: 1, jobsCompleted: 1, itemFailures: 2 });
  });

  test('an upload with no failures is COMPLETED; one where every item failed is FAILED and fails them all', async () => {
    const adapter = hepsiburada();
    const clean = await awaitDone(adapter, uploadId(await adapter.sendUpdatedStocks([item(3, 7)], SEND)));
    expect(clean).toMatchObject({ results: [], unnamed: { status: 'success' } });
    expect(JSON.parse(clean.exchanges[0]?.responseBody ?? '').status).toBe('COMPLETED');

    const id = uploadId(await adapter.sendUpdatedStocks([item('nope', 1), item(4, 2), item(4, 3)], SEND));
    const failed = await awaitDone(adapter, id);
    expect(failed.results).toEqual([
      { remoteId: 'SKU-nope', status: 'failed', message: 'ProductNotFound' },
      { remoteId: 'SKU-4', status: 'failed', message: 'DuplicateMerchantSkuSpecified; DuplicateMerchantSkuSpecified' },
    ]);
    expect(failed.unnamed).toEqual({ status: 'failed', message: `Hepsiburada stock upload ${id} ended FAILED` });
    expect(await held()).toEqual({ 'SKU-3': 7 });
  });

  test('uploads complete in acceptance order: a later quantity is never overtaken by an earlier one', async () => {
    const adapter = hepsiburada();
    const earlier = uploadId(await adapter.sendUpdatedStocks([item(5, 9)], SEND));
    const later = uploadId(await adapter.sendUpdatedStocks([item(5, 0)], SEND));
    await awaitDone(adapter, later);
    expect((await adapter.checkBatch(earlier)).state).toBe('done');
    expect(await held()).toEqual({ 'SKU-5': 0 });
  });

  test('items no channel can accept are refused locally; a send of only those makes no call', async () => {
    const adapter = hepsiburada();
    const mixed = await adapter.sendUpdatedStocks([item(0, 4), item(1, -1)], SEND);
    if (mixed.mode !== 'async') throw new Error('expected async');
    expect(mixed.rejected).toEqual([
      { remoteId: 'SKU-1', sku: 'SKU-1', status: 'failed', message: 'quantity -1 is not a non-negative integer' },
    ]);
    expect(JSON.parse(mixed.exchanges[0]?.requestBody ?? '')).toEqual([{ merchantSku: 'SKU-0', availableStock: 4 }]);
    const requests = (await faceStats()).requests;
    expect(await adapter.sendInsertedStocks([item(2, 0.5)], SEND)).toMatchObject({ mode: 'sync', exchanges: [] });
    expect((await faceStats()).requests).toBe(requests);
  });

  test('exchanges and errors carry no credentials', async () => {
    const adapter = hepsiburada();
    const outcome = await adapter.sendUpdatedStocks([item(0, 1)], SEND);
    const check = await awaitDone(adapter, uploadId(outcome));
    const refusal = await caught(hepsiburada({ serviceKey: 'WrongKey0000' }).sendUpdatedStocks([item(0, 1)], SEND));
    const basic = Buffer.from(`${CREDENTIALS.merchantId}:${CREDENTIALS.serviceKey}`).toString('base64');
    const text = JSON.stringify([outcome, check, refusal, String(refusal)]);
    for (const secret of [CREDENTIALS.serviceKey, basic, 'WrongKey0000']) expect(text).not.toContain(secret);
  });

  test('a status read for an id Hepsiburada does not know is expired', async () => {
    const check = await hepsiburada().checkBatch('00000000-0000-0000-0000-000000000000');
    expect(check).toMatchObject({ state: 'expired', reason: expect.stringContaining('404') });
    expect(check.exchanges[0]?.status).toBe(404);
  });
});

describe('hepsiburada statuses beyond the sandbox’s', () => {
  test('the guide’s Done/Failed, an unknown status (still pending), failures without a SKU', async () => {
    await withFakeStatus(
      [
        { status: 200, body: { id: 'u1', status: 'InProgress', total: 2, errors: null } },
        { status: 200, body: { id: 'u1', status: 'Done', total: 2, errors: null } },
        {
          status: 200,
          body: {
            id: 'u2',
            status: 'Done',
            errors: [{ elementNo: 2, merchantSku: 'SKU-1', errors: ['ListingFrozen'] }],
          },
        },
        { status: 200, body: { id: 'u3', status: 'COMPLETED_WITH_ERRORS', errors: [{ elementNo: 1, errors: [] }] } },
        { status: 200, body: { id: 'u4', status: 'Failed', errors: [] } },
      ],
      async (adapter) => {
        expect((await adapter.checkBatch('u1')).state).toBe('pending');
        expect(await adapter.checkBatch('u1')).toMatchObject({
          state: 'done',
          results: [],
          unnamed: { status: 'success' },
        });
        expect(await adapter.checkBatch('u2')).toMatchObject({
          results: [{ remoteId: 'SKU-1', status: 'failed', message: 'ListingFrozen' }],
          unnamed: { status: 'success' },
        });
        expect(await adapter.checkBatch('u3')).toMatchObject({
          results: [],
          unnamed: { status: 'failed', message: expect.stringContaining('element 1') },
        });
        expect(await adapter.checkBatch('u4')).toMatchObject({
          results: [],
          unnamed: { status: 'failed', message: expect.stringContaining('Failed') },
        });
      },
    );
  });
});

describe('hepsiburada refusals', () => {
  test('wrong service key: 401; a User-Agent not naming the merchant’s integrator: 403 (both AuthenticationError)', async () => {
    const wrongKey = await caught(hepsiburada({ serviceKey: 'WrongKey0000' }).sendUpdatedStocks([item(0, 1)], SEND));
    expect(wrongKey).toBeInstanceOf(AuthenticationError);
    expect((wrongKey as AuthenticationError).status).toBe(401);
    const wrongAgent = await caught(hepsiburada({ integratorName: 'someone_else' }).readQuantities([item(0, 1)]));
    expect(wrongAgent).toBeInstanceOf(AuthenticationError);
    expect((wrongAgent as AuthenticationError).status).toBe(403);

    const auth = { username: CREDENTIALS.merchantId, password: CREDENTIALS.serviceKey };
    const body = [{ merchantSku: 'SKU-0', availableStock: 1 }];
    const url = `${listingsUrl()}/stock-uploads`;
    const noAgent = await axios.post(url, body, { auth, headers: { 'User-Agent': '' }, validateStatus: () => true });
    expect(noAgent.status).toBe(403);
    const anonymous = await axios.post(url, body, {
      headers: { 'User-Agent': CREDENTIALS.integratorName },
      validateStatus: () => true,
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.data).toMatchObject({ success: false, code: 401 });
    expect(await held()).toEqual({});
  });

  test('a malformed upload is refused whole (400): not an array, or a stock that is not an integer', async () => {
    const auth = { username: CREDENTIALS.merchantId, password: CREDENTIALS.serviceKey };
    const headers = { 'User-Agent': CREDENTIALS.integratorName };
    const url = `${listingsUrl()}/stock-uploads`;
    for (const body of [
      { items: [] },
      [],
      [{ merchantSku: 'SKU-0', stock: 1 }],
      [{ merchantSku: 'SKU-0', availableStock: 1.5 }],
    ]) {
      const answer = await axios.post(url, body, { auth, headers, validateStatus: () => true });
      expect(answer.status).toBe(400);
    }
    expect((await faceStats()).sendsAccepted).toBe(0);
  });

  test('more items than one upload takes: the adapter refuses; past 4,000 the listing host refuses (400)', async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => item(i % 60, 1));
    await expect(hepsiburada().sendUpdatedStocks(many(1_001), SEND)).rejects.toBeInstanceOf(LimitExceededError);
    const unbounded = hepsiburada({ limits: { itemsPerRequest: 5_000 } });
    const refused = await caught(unbounded.sendUpdatedStocks(many(4_001), SEND));
    expect(refused).toBeInstanceOf(ClientRequestError);
    expect((refused as ClientRequestError).status).toBe(400);
    expect((refused as ClientRequestError).serverMessage).toContain('4000');
  });

  test('throttling: 429 with X-RateLimit-Reset -> RateLimitedError after exactly those seconds', async () => {
    // 1% of the documented 240 a minute: a burst of 2.4, 0.04 requests a second (a token every 25 s).
    await setOptions({ budgetScale: 0.01 });
    const adapter = hepsiburada();
    await adapter.sendUpdatedStocks([item(0, 1)], SEND);
    await adapter.sendUpdatedStocks([item(1, 1)], SEND);
    const throttled = await caught(adapter.sendUpdatedStocks([item(2, 1)], SEND));
    expect(throttled).toBeInstanceOf(RateLimitedError);
    expect((throttled as RateLimitedError).status).toBe(429);
    // 0.4 tokens left: 0.6 / 0.04 = 15 s until the next one.
    expect((throttled as RateLimitedError).retryAfterMs).toBe(15_000);

    const raw = await axios.post(`${listingsUrl()}/stock-uploads`, [{ merchantSku: 'SKU-3', availableStock: 1 }], {
      auth: { username: CREDENTIALS.merchantId, password: CREDENTIALS.serviceKey },
      headers: { 'User-Agent': CREDENTIALS.integratorName },
      validateStatus: () => true,
    });
    expect(raw.status).toBe(429);
    expect(raw.headers).toMatchObject({
      'x-ratelimit-limit': '2',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '15',
    });
    // Each operation has its own budget: the status read still answers.
    expect((await adapter.checkBatch('00000000-0000-0000-0000-000000000000')).state).toBe('expired');
    expect(await faceStats()).toMatchObject({ sendsAccepted: 2, throttled: 2 });
  });

  test('at most 5 pending uploads: the 6th is refused with the guide’s text -> RateLimitedError after busyRetryMs', async () => {
    await setOptions({ batchDelayMs: 400 });
    const adapter = hepsiburada({ busyRetryMs: 1_234 });
    for (let i = 0; i < 5; i++) await adapter.sendUpdatedStocks([item(i, i)], SEND);
    const busy = await caught(adapter.sendUpdatedStocks([item(5, 5)], SEND));
    expect(busy).toBeInstanceOf(RateLimitedError);
    expect((busy as RateLimitedError).retryAfterMs).toBe(1_234);
    expect((busy as RateLimitedError).serverMessage).toContain('too many ongoing/waiting inventory uploads');
    expect(await faceStats()).toMatchObject({ sendsAccepted: 5, jobsCompleted: 0 });
    // Once the pending ones are processed, the merchant may upload again.
    await new Promise((r) => setTimeout(r, 450));
    expect((await adapter.sendUpdatedStocks([item(5, 5)], SEND)).mode).toBe('async');
  });

  test('configuration: the merchant GUID, the 12-character service key and a User-Agent are required', () => {
    for (const bad of [{ merchantId: '12345' }, { serviceKey: 'short' }, { integratorName: 'has space' }]) {
      expect(() => hepsiburada(bad)).toThrow(ConfigError);
    }
    expect(() => createChannelAdapter({ adapter: 'hepsiburada', baseURL: sandbox().urls.hepsiburada })).toThrow(
      /merchantId[\s\S]*serviceKey[\s\S]*integratorName/,
    );
  });
});

describe('hepsiburada read port', () => {
  test('held stock by merchantSku, in the order asked; listed but never sent reads 0, unknown null', async () => {
    const adapter = hepsiburada();
    await awaitDone(adapter, uploadId(await adapter.sendUpdatedStocks([item(0, 7), item(2, 0)], SEND)));
    expect(await adapter.readQuantities([item(2, 0), item('nope', 0), item(0, 0), item(1, 0)])).toEqual([
      { remoteId: 'SKU-2', quantity: 0 },
      { remoteId: 'SKU-nope', quantity: null },
      { remoteId: 'SKU-0', quantity: 7 },
      { remoteId: 'SKU-1', quantity: 0 },
    ]);
    expect(await adapter.readQuantities([])).toEqual([]);
  });

  test('drift at the marketplace is read back: another quantity, and a listing that is gone', async () => {
    const adapter = hepsiburada();
    sandbox().state.marketplace.hepsiburada.drift('SKU-3', undefined, 9);
    sandbox().state.marketplace.hepsiburada.drift('SKU-4', undefined, null);
    expect(await adapter.readQuantities([item(3, 0), item(4, 0)])).toEqual([
      { remoteId: 'SKU-3', quantity: 9 },
      { remoteId: 'SKU-4', quantity: null },
    ]);
  });

  test('at most 50 SKUs a read: the adapter refuses more, the listing host too (400)', async () => {
    const many = LISTINGS.slice(0, 51).map((_, i) => item(i, 0));
    await expect(hepsiburada().readQuantities(many)).rejects.toThrow(/at most 50/);
    const refused = await caught(hepsiburada({ limits: { readItemsPerRequest: 60 } }).readQuantities(many));
    expect(refused).toBeInstanceOf(ClientRequestError);
    expect((refused as ClientRequestError).status).toBe(400);
  });

  test('the documented listing shape, paged with offset/limit (both required)', async () => {
    const auth = { username: CREDENTIALS.merchantId, password: CREDENTIALS.serviceKey };
    const headers = { 'User-Agent': CREDENTIALS.integratorName };
    const page = await axios.get(listingsUrl(), { auth, headers, params: { offset: 10, limit: 5 } });
    expect(page.data).toMatchObject({ totalCount: 60, limit: 5, offset: 10 });
    const skus = page.data.listings.map((l: { merchantSku: string }) => l.merchantSku);
    expect(skus).toEqual(Array.from({ length: 5 }, (_, i) => `SKU-${10 + i}`));
    expect(page.data.listings[0]).toMatchObject({
      hepsiburadaSku: expect.stringMatching(/^HBCV[0-9A-F]{10}$/),
      availableStock: 0,
      isSalable: false,
    });
    const unpaged = await axios.get(listingsUrl(), { auth, headers, validateStatus: () => true });
    expect(unpaged.status).toBe(400);
  });
});

describe('hepsiburada through the stock activities', () => {
  test('an upload naming one failure settles the Omnitron batch: that object failed, every other one succeeded', async () => {
    await control().post('seed', { skus: 10 });
    const act = createStockActivities(sandboxStockDeps(sandbox().urls, { channelIds: [3] }));
    const run = <A, R>(fn: (input: A) => Promise<R>, input: A) =>
      new MockActivityEnvironment().run(fn, input) as Promise<R>;
    const ref = { channelId: 3, ...(await run(act.openBatch, { channelId: 3 })) };
    const common = { kind: 'inserts', target: { stockListId: null, warehouseCode: null } } as const;
    const flags = { addProductObjects: false, addPrice: false, isSuccessLog: false };
    const page = await run(act.commitPage, { ...ref, ...common, ...flags, pageSize: 20 });
    expect(page.committed).toBe(10);
    const sent = await run(act.sendBatch, { ...ref, ...common, ...flags });
    if (sent.mode !== 'async') throw new Error('expected an async send');
    // The listing goes before Hepsiburada processes the upload: only that item is named in `errors`.
    const gone = 'SF0000004';
    sandbox().state.marketplace.hepsiburada.drift(gone, undefined, null);
    let check = await run(act.checkBatch, { ...ref, remoteBatchId: sent.remoteBatchId, isSuccessLog: false });
    for (let i = 0; check.state === 'pending' && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 20));
      check = await run(act.checkBatch, { ...ref, remoteBatchId: sent.remoteBatchId, isSuccessLog: false });
    }
    expect(check).toEqual({ state: 'done', succeeded: 9, failed: 1 });
    const batch = sandbox().state.catalog.batches.all.get(ref.batchPk);
    expect(batch?.status).toBe('done');
    const failed = batch?.objects.filter((o) => o.failed_reason_type !== null) ?? [];
    expect(failed.map((o) => [o.remote_id, o.failed_reason_type])).toEqual([[gone, 'remote']]);
    expect(batch?.objects.filter((o) => o.failed_reason_type === null && o.remote_id?.startsWith('SF'))).toHaveLength(
      9,
    );
  });
});
