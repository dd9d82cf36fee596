/**
 * The N11 adapter against the sandbox's N11 face over real loopback HTTP, from n11's documented examples:
 * price-stock-update -> task id -> TaskDetails with a verdict per stockCode, REJECT of a whole body, the appkey /
 * appsecret headers, product-query reads, retention, throttling, and the odd status spellings (from a stand-in).
 */
import axios from 'axios';
import Fastify from 'fastify';
import type { ChannelAdapter } from '../../src/channels/port';
import { createChannelAdapter } from '../../src/channels/registry';
import { AuthenticationError, LimitExceededError, RateLimitedError } from '../../src/http/errors';
import { sandboxChannelConfigs } from '../../src/sandbox/connect';
import { N11_SANDBOX_CREDENTIALS as CREDENTIALS } from '../../src/sandbox/faces/n11/face';
import {
  awaitDone as awaitDoneOf,
  caught,
  contractListings,
  marketplaceControl,
  merchantItem as item,
  remoteBatchId as taskId,
  useContractSandbox,
} from '../support/contract-sandbox';

const sandbox = useContractSandbox({ listings: contractListings(5) });
const face = () => sandbox().state.marketplace.n11;
const { setOptions } = marketplaceControl(sandbox);
const SEND = { sendKey: 'n11-contract' };

function n11(overrides: object = {}, baseURL = sandbox().urls.n11): ChannelAdapter {
  return createChannelAdapter({ adapter: 'n11', baseURL, ...CREDENTIALS, ...overrides });
}

const awaitDone = (adapter: ChannelAdapter, id: string) => awaitDoneOf(adapter, id, { what: 'task' });

describe('n11 adapter', () => {
  test('send -> task id -> IN_QUEUE -> PROCESSED with a verdict per stockCode, quantities applied', async () => {
    const adapter = n11();
    expect(adapter.descriptor).toEqual({
      name: 'n11',
      mode: 'async',
      hasWarehouses: false,
      limits: { itemsPerRequest: 1_000, requestsPerSecond: 5, maxQuantity: 999_999, readItemsPerRequest: 1 },
    });
    const outcome = await adapter.sendUpdatedStocks([item(0, 5), item('X', 3), item(1, 1_000_000), item(2, 0)], SEND);
    const id = taskId(outcome);
    expect(id).toBe('1001');
    expect(outcome.exchanges).toHaveLength(1);
    const [exchange] = outcome.exchanges;
    expect(exchange?.url).toBe(`${sandbox().urls.n11}ms/product/tasks/price-stock-update`);
    // Exactly the documented stock-only body: no price keys, the integrator name every send carries.
    expect(JSON.parse(exchange?.requestBody ?? '')).toEqual({
      payload: {
        integrator: 'stockflow',
        skus: [
          { stockCode: 'SKU-0', quantity: 5 },
          { stockCode: 'SKU-X', quantity: 3 },
          { stockCode: 'SKU-1', quantity: 1_000_000 },
          { stockCode: 'SKU-2', quantity: 0 },
        ],
      },
    });
    expect(JSON.parse(exchange?.responseBody ?? '')).toMatchObject({ id: 1001, status: 'IN_QUEUE' });
    // The key pair travels in headers only; nothing of it reaches what error reports are built from.
    expect(JSON.stringify(outcome)).not.toContain(CREDENTIALS.appSecret);
    expect(JSON.stringify(outcome)).not.toContain(CREDENTIALS.appKey);

    expect((await adapter.checkBatch(id)).state).toBe('pending');
    expect(face().held('SKU-0', undefined)).toBe(0);

    const done = await awaitDone(adapter, id);
    expect(done.results).toEqual([
      { remoteId: 'SKU-0', status: 'success' },
      { remoteId: 'SKU-X', status: 'failed', message: 'SKU-X stok koduna ait ürün bulunamadı.' },
      { remoteId: 'SKU-1', status: 'failed', message: 'Stok miktarı 0 ile 999999 arasında olmalıdır.' },
      { remoteId: 'SKU-2', status: 'success' },
    ]);
    expect(JSON.parse(done.exchanges[0]?.requestBody ?? '')).toEqual({
      taskId: 1001,
      pageable: { page: 0, size: 1_000 },
    });
    // An odd-numbered task answers in the forms integrators have seen from n11: a leading blank, mixed case.
    const answer = JSON.parse(done.exchanges[0]?.responseBody ?? '') as {
      status: string;
      skus: { content: { status: string }[] };
    };
    expect([answer.status, ...answer.skus.content.map((row) => row.status)]).toEqual([
      ' Processed',
      ' Success',
      ' Fail',
      ' Fail',
      ' Success',
    ]);
    expect(face().held('SKU-0', undefined)).toBe(5);
    expect(face().held('SKU-1', undefined)).toBe(0);
    expect(face().stats()).toMatchObject({ sendsAccepted: 1, jobsCompleted: 1, itemFailures: 2 });
  });

  test('tasks complete in acceptance order: a later quantity is never overtaken by an earlier one', async () => {
    const adapter = n11();
    const first = taskId(await adapter.sendUpdatedStocks([item(3, 9)], SEND));
    const second = taskId(await adapter.sendUpdatedStocks([item(3, 0)], SEND));
    const done = await awaitDone(adapter, second);
    expect((await adapter.checkBatch(first)).state).toBe('done');
    expect(face().held('SKU-3', undefined)).toBe(0);
    // An even-numbered task answers the documented spellings.
    expect(JSON.parse(done.exchanges[0]?.responseBody ?? '')).toMatchObject({
      status: 'PROCESSED',
      skus: { content: [{ status: 'SUCCESS' }] },
    });
  });

  test('one price goes out as listPrice = salePrice with two decimals', async () => {
    const adapter = n11({ integrator: 'AcmeEntegrasyon' });
    const outcome = await adapter.sendUpdatedStocks([item(0, 2, { price: 19.999 }), item(1, 1, { price: 10 })], SEND);
    expect(JSON.parse(outcome.exchanges[0]?.requestBody ?? '')).toEqual({
      payload: {
        integrator: 'AcmeEntegrasyon',
        skus: [
          { stockCode: 'SKU-0', quantity: 2, listPrice: 20, salePrice: 20 },
          { stockCode: 'SKU-1', quantity: 1, listPrice: 10, salePrice: 10 },
        ],
      },
    });
    expect((await awaitDone(adapter, taskId(outcome))).results.map((r) => r.status)).toEqual(['success', 'success']);
  });

  test('a body n11 refuses (more than 1,000 skus) is a REJECT: every item fails with its reason, no task', async () => {
    const adapter = n11({ limits: { itemsPerRequest: 1_001 } });
    const items = Array.from({ length: 1_001 }, (_, i) => item(i % 5, 1));
    const outcome = await adapter.sendUpdatedStocks(items, SEND);
    expect(outcome.mode).toBe('sync');
    if (outcome.mode !== 'sync') return;
    expect(outcome.results).toHaveLength(1_001);
    expect(outcome.results[0]).toEqual({
      remoteId: 'SKU-0',
      sku: 'SKU-0',
      status: 'failed',
      message: 'n11 rejected the update: Tek seferde maximum 1000 sku için güncelleme atabilirsiniz.',
    });
    expect(JSON.parse(outcome.exchanges[0]?.responseBody ?? '')).toMatchObject({ status: 'REJECT' });
    expect(face().stats().sendsAccepted).toBe(0);
  });

  test('more items than the limit are refused before any call; local refusals never reach n11', async () => {
    const adapter = n11();
    const tooMany = Array.from({ length: 1_001 }, (_, i) => item(i, 1));
    expect(await caught(adapter.sendUpdatedStocks(tooMany, SEND))).toBeInstanceOf(LimitExceededError);
    const outcome = await adapter.sendUpdatedStocks([item(0, -1), item(1, 4)], SEND);
    expect(outcome.mode === 'async' && outcome.rejected).toEqual([
      { remoteId: 'SKU-0', sku: 'SKU-0', status: 'failed', message: 'quantity -1 is not a non-negative integer' },
    ]);
    expect(JSON.parse(outcome.exchanges[0]?.requestBody ?? '').payload.skus).toEqual([
      { stockCode: 'SKU-1', quantity: 4 },
    ]);
    expect(face().stats().requests).toBe(1);
  });

  test('wrong appkey/appsecret: 401 SellerApiUserUnauthorizedException -> AuthenticationError, nothing taken in', async () => {
    const adapter = n11({ appSecret: 'wrong-secret' });
    const send = await caught(adapter.sendUpdatedStocks([item(0, 1)], SEND));
    expect(send).toBeInstanceOf(AuthenticationError);
    expect((send as AuthenticationError).status).toBe(401);
    expect((send as AuthenticationError).serverMessage).toContain('SellerApiUserUnauthorizedException');
    expect((send as Error).message).not.toContain('wrong-secret');
    expect(await caught(adapter.checkBatch('1001'))).toBeInstanceOf(AuthenticationError);
    expect(await caught(adapter.readQuantities([{ remoteId: 'SKU-0' }]))).toBeInstanceOf(AuthenticationError);
    expect(face().stats().sendsAccepted).toBe(0);
  });

  test('throttled by the face: 429 + Retry-After -> RateLimitedError with exactly that delay', async () => {
    // 1,000 a minute scaled to 2 a minute: the third call waits for a token, 30 s away.
    await setOptions({ budgetScale: 0.002 });
    const adapter = n11();
    await adapter.readQuantities([{ remoteId: 'SKU-0' }]);
    await adapter.readQuantities([{ remoteId: 'SKU-1' }]);
    const err = await caught(adapter.readQuantities([{ remoteId: 'SKU-2' }]));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(30_000);
    expect((err as RateLimitedError).path).toBe('/n11/ms/product-query');
    // Budgets are per operation: a send still has its own.
    expect(taskId(await adapter.sendUpdatedStocks([item(0, 1)], SEND))).toBe('1001');
    expect(face().stats().throttled).toBe(1);
  });

  test('a task n11 no longer keeps (404) is expired', async () => {
    const adapter = n11();
    const id = taskId(await adapter.sendUpdatedStocks([item(0, 1)], SEND));
    face().retentionMs = 0;
    const check = await adapter.checkBatch(id);
    expect(check.state).toBe('expired');
    expect(check.state === 'expired' && check.reason).toContain(`task ${id} (404)`);
    expect(check.exchanges[0]?.status).toBe(404);
  });

  test('held quantities by stockCode: a set quantity, a drifted one, an unknown item as null', async () => {
    const adapter = n11({ limits: { readItemsPerRequest: 3 } });
    const id = taskId(await adapter.sendUpdatedStocks([item(0, 7), item(1, 2)], SEND));
    await awaitDone(adapter, id);
    face().drift('SKU-1', undefined, 11);
    expect(await adapter.readQuantities([{ remoteId: 'SKU-1' }, { remoteId: 'SKU-X' }, { remoteId: 'SKU-0' }])).toEqual(
      [
        { remoteId: 'SKU-1', quantity: 11 },
        { remoteId: 'SKU-X', quantity: null },
        { remoteId: 'SKU-0', quantity: 7 },
      ],
    );
    face().drift('SKU-0', undefined, null);
    expect(await adapter.readQuantities([{ remoteId: 'SKU-0' }])).toEqual([{ remoteId: 'SKU-0', quantity: null }]);
    expect(await caught(n11().readQuantities([{ remoteId: 'SKU-0' }, { remoteId: 'SKU-1' }]))).toBeInstanceOf(
      LimitExceededError,
    );
  });

  test('the seeded sandbox channel 4 is configured to reach the face', async () => {
    const adapter = createChannelAdapter(sandboxChannelConfigs(sandbox().urls)[4]);
    const done = await awaitDone(adapter, taskId(await adapter.sendUpdatedStocks([item(4, 6)], SEND)));
    expect(done.results).toEqual([{ remoteId: 'SKU-4', status: 'success' }]);
    expect(face().held('SKU-4', undefined)).toBe(6);
  });
});

describe('n11 face refuses what n11 refuses', () => {
  const post = (path: string, body: unknown, headers: object = {}) =>
    axios.post(`${sandbox().urls.n11}${path}`, body, {
      headers: { appkey: CREDENTIALS.appKey, appsecret: CREDENTIALS.appSecret, ...headers },
      validateStatus: () => true,
    });

  test('no integrator, unpaired or inverted prices: 200 REJECT with reasons', async () => {
    const answer = await post('ms/product/tasks/price-stock-update', {
      payload: {
        skus: [
          { stockCode: 'SKU-0', salePrice: 10 },
          { stockCode: 'SKU-1', listPrice: 5, salePrice: 10 },
          { stockCode: 'SKU-2', listPrice: 10.555, salePrice: 10 },
        ],
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.data).toEqual({
      type: 'SKU_UPDATE',
      status: 'REJECT',
      reasons: [
        'integrator alanı boş olamaz.',
        'SKU-0: Fiyat güncellemelerinde listPrice ve salePrice birlikte gönderilmelidir.',
        "SKU-1: listPrice, salePrice'dan düşük olamaz.",
        'SKU-2: listPrice ve salePrice noktadan sonra en fazla 2 hane olmalıdır.',
      ],
    });
  });

  test('a body of the wrong shape: Spring 400; no appsecret: 401', async () => {
    const wrongShape = await post('ms/product/tasks/price-stock-update', {
      payload: { integrator: 'x', skus: [{ stockCode: 'SKU-0', quantity: '5' }] },
    });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.data).toMatchObject({
      status: 400,
      error: 'Bad Request',
      path: '/ms/product/tasks/price-stock-update',
    });
    const noSecret = await post('ms/product/task-details/page-query', { taskId: 1 }, { appsecret: '' });
    expect(noSecret.status).toBe(401);
    expect(noSecret.data['@type']).toBe('SellerApiUserUnauthorizedException');
  });
});

describe('n11 statuses as integrators have seen them (a stand-in answering scripted task details)', () => {
  async function withTaskDetails(answers: object[], run: (adapter: ChannelAdapter) => Promise<void>): Promise<void> {
    const fake = Fastify();
    const bodies: unknown[] = [];
    fake.post('/ms/product/task-details/page-query', async (request) => {
      bodies.push(request.body);
      const answer = answers.shift();
      if (!answer) throw new Error('the stand-in ran out of answers');
      return answer;
    });
    const baseURL = await fake.listen({ host: '127.0.0.1', port: 0 });
    try {
      await run(n11({}, baseURL));
      expect(answers).toEqual([]);
    } finally {
      await fake.close();
    }
  }

  test('blanks and mixed case are read as the status they spell; pages are followed', async () => {
    const row = (itemCode: string, status: string, reasons: string[] = []) => ({ itemCode, status, reasons });
    await withTaskDetails(
      [
        { taskId: 7, status: ' IN_QUEUE', skus: { content: [], totalPages: 0 } },
        {
          taskId: 7,
          status: ' processed ',
          skus: { content: [row('A', ' SUCCESS'), row('B', 'Fail', ['x'])], totalPages: 2 },
        },
        { taskId: 7, status: 'PROCESSED', skus: { content: [row('C', 'FAIL ')], totalPages: 2 } },
      ],
      async (adapter) => {
        expect((await adapter.checkBatch('7')).state).toBe('pending');
        const done = await adapter.checkBatch('7');
        expect(done.state === 'done' && done.results).toEqual([
          { remoteId: 'A', status: 'success' },
          { remoteId: 'B', status: 'failed', message: 'x' },
          { remoteId: 'C', status: 'failed', message: 'item status FAIL' },
        ]);
        expect(done.exchanges).toHaveLength(2);
        expect(JSON.parse(done.exchanges[1]?.requestBody ?? '')).toEqual({
          taskId: 7,
          pageable: { page: 1, size: 1_000 },
        });
      },
    );
  });

  test('a task REJECTed while queued fails every item it lists with the reasons', async () => {
    await withTaskDetails(
      [{ taskId: 8, status: 'REJECT', skus: { content: [{ itemCode: 'A', status: 'FAIL', reasons: ['r1', 'r2'] }] } }],
      async (adapter) => {
        const done = await adapter.checkBatch('8');
        expect(done.state === 'done' && done.results).toEqual([
          { remoteId: 'A', status: 'failed', message: 'n11 rejected the task: r1; r2' },
        ]);
      },
    );
  });
});
