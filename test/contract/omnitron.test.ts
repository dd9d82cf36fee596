/** Omnitron client vs the sandbox's Omnitron face: auth, the batch life cycle, hiding, derived stocks, validation. */
import { inspect } from 'node:util';
import axios from 'axios';
import { AuthenticationError, ClientRequestError, ResponseValidationError } from '../../src/http/errors';
import { OmnitronClient } from '../../src/omnitron/client';
import { startSandbox, type Sandbox } from '../../src/sandbox/server';
import { WhippyStockClient } from '../../src/stock-api/client';

let sandbox: Sandbox;
let omnitron: OmnitronClient;
let whippy: WhippyStockClient;
const control = (path: string, body?: object) =>
  axios.request({ method: body ? 'POST' : 'GET', url: `${sandbox.urls.control}${path}`, data: body });

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  const { data: seeded } = await axios.post(`${sandbox.url}/control/seed`, { skus: 120 });
  omnitron = new OmnitronClient({ baseURL: sandbox.urls.omnitron, ...seeded.credentials.omnitron });
  whippy = new WhippyStockClient({ baseURL: sandbox.urls.whippy, apiToken: seeded.credentials.whippyToken });
});
afterAll(() => sandbox.close());

test('logs in once, reuses the token, logs in again once after expiry; secrets never serialised', async () => {
  const channel = await omnitron.getChannel(2);
  expect(channel).toMatchObject({ pk: 2, name: 'shopify', is_active: true });
  expect(channel.conf.WAREHOUSE_CODES).toEqual({
    '1': 'gid://shopify/Location/1',
    '2': 'gid://shopify/Location/2',
    '3': 'gid://shopify/Location/3',
  });
  await omnitron.getCatalog(1);
  expect(sandbox.state.catalog.tokens.size).toBe(1);
  await control('omnitron/expire-tokens', {});
  await expect(omnitron.getCatalog(1)).resolves.toMatchObject({
    stock_list: 1,
    extra_stock_lists: [2, 3],
    price_list: 1,
  });
  expect(sandbox.state.catalog.tokens.size).toBe(1);
  expect(JSON.stringify(omnitron)).not.toContain('sandbox');
  expect(inspect(omnitron)).not.toContain('sandbox');
});

test('a 401 after a fresh login surfaces as AuthenticationError without the password', async () => {
  const wrong = new OmnitronClient({ baseURL: sandbox.urls.omnitron, username: 'stockflow', password: 'hunter2' });
  const loginErr = await wrong.getChannel(1).catch((e: unknown) => e);
  expect(loginErr).toBeInstanceOf(ClientRequestError);
  expect(String((loginErr as Error).message)).not.toContain('hunter2');

  const client = new OmnitronClient({ baseURL: sandbox.urls.omnitron, username: 'stockflow', password: 'sandbox' });
  await client.getChannel(1);
  // Every token is rejected from now on: the one retry after re-login fails too.
  const spy = jest.spyOn(sandbox.state.catalog.tokens, 'has').mockReturnValue(false);
  try {
    const err = await client.getChannel(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).status).toBe(401);
    expect((err as AuthenticationError).serverMessage).toContain('Invalid token.');
  } finally {
    spy.mockRestore();
  }
});

test('full batch life cycle: commit hides, done records remote ids and failures, reports are listed', async () => {
  const inserts = await omnitron.fetchProductStocks({ channelId: 1, kind: 'inserts', limit: 5 });
  expect(inserts.count).toBe(120);
  expect(inserts.malformed).toEqual([]);
  const [ok, failed] = inserts.stocks;
  if (!ok || !failed) throw new Error('seeded stocks missing');

  const batch = await omnitron.createBatch(1);
  expect(batch).toMatchObject({ status: 'initialized', content_type: 'productstock', objects: [] });
  const committed = await omnitron.commitBatch(1, batch.pk, [{ pk: ok.pk }, { pk: failed.pk }]);
  expect(committed.status).toBe('commit');
  expect(committed.objects.map((o) => o.pk)).toEqual([ok.pk, failed.pk]);

  const after = await omnitron.fetchProductStocks({ channelId: 1, kind: 'inserts', limit: 200 });
  expect(after.count).toBe(118);
  expect(after.stocks.map((s) => s.pk)).not.toContain(ok.pk);
  const processing = await omnitron.listIntegrationActions(1, { local_batch_id: batch.local_batch_id });
  expect(processing.results.map((a) => [a.object_id, a.status])).toEqual([
    [ok.pk, 'processing'],
    [failed.pk, 'processing'],
  ]);

  // Only one batch per content type in commit.
  const other = await omnitron.createBatch(1);
  await expect(omnitron.commitBatch(1, other.pk, [{ pk: after.stocks[0]?.pk ?? 0 }])).rejects.toThrow(
    /already in commit/,
  );

  await omnitron.markSentToRemote(1, batch.pk, 'remote-42');
  await omnitron.markOngoing(1, batch.pk);
  const done = await omnitron.markDone(1, batch.pk, [
    { pk: ok.pk, remote_id: 'SF0000001' },
    { pk: failed.pk, failed_reason_type: 'remote' },
  ]);
  expect(done).toMatchObject({ status: 'done', remote_batch_id: 'remote-42' });
  expect(done.objects.find((o) => o.pk === failed.pk)?.failed_reason_type).toBe('remote');

  const actions = [];
  for await (const a of omnitron.iterateIntegrationActions(1, {
    object_id__in: [ok.pk, failed.pk],
    content_type_name: 'productstock',
    limit: 1,
  })) {
    actions.push([a.object_id, a.status, a.remote_id]);
  }
  expect(actions).toEqual([
    [ok.pk, 'success', 'SF0000001'],
    [failed.pk, 'error', null],
  ]);
  // A stock that failed in a done batch stays quiet until its quantity changes; the delivered one is gone for good.
  const reinserts = await omnitron.fetchProductStocks({ channelId: 1, kind: 'inserts', limit: 200 });
  expect(reinserts.stocks.map((s) => s.pk)).not.toContain(failed.pk);
  expect(reinserts.stocks.map((s) => s.pk)).not.toContain(ok.pk);
  await control('stocks', { changes: [{ sku: `SF${String(failed.product).padStart(7, '0')}`, delta: 1 }] });
  const changed = await omnitron.fetchProductStocks({ channelId: 1, kind: 'inserts', limit: 200 });
  expect(changed.stocks.find((s) => s.pk === failed.pk)?.stock).toBe(failed.stock + 1);

  const contentType = await omnitron.getContentType('productstock');
  await omnitron.createErrorReport(1, {
    action_content_type: contentType.id,
    action_object_id: failed.pk,
    error_code: `${batch.local_batch_id}-Channel-SendInsertedStocks-1`,
    error_description: 'barcode unknown',
    raw_request: 'POST-url-body',
    raw_response: '{}',
    is_ok: false,
  });
  const reports = await omnitron.listErrorReports(1, { error_code__startswith: batch.local_batch_id, is_ok: false });
  expect(reports.count).toBe(1);
  expect(reports.results[0]).toMatchObject({ action_object_id: failed.pk, error_description: 'barcode unknown' });
  await omnitron.markFail(1, other.pk);
  const open = await control('omnitron/batches?channel=1');
  expect(open.data.counts).toMatchObject({ done: 1, fail: 1, commit: 0 });
});

test('an invalid transition is a ClientRequestError naming the server message', async () => {
  const batch = await omnitron.createBatch(2);
  const err = await omnitron.markOngoing(2, batch.pk).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ClientRequestError);
  expect((err as ClientRequestError).status).toBe(400);
  expect((err as ClientRequestError).serverMessage).toContain(
    'Batch request cannot be updated (initialized -> ongoing)',
  );
  await omnitron.markFail(2, batch.pk);
});

test('a stock changed through Whippy Ware appears in updates/ with the derived salable quantity', async () => {
  const [stock] = (await omnitron.fetchProductStocks({ channelId: 2, kind: 'inserts', limit: 1 })).stocks;
  if (!stock) throw new Error('no insert');
  const batch = await omnitron.createBatch(2);
  await omnitron.commitBatch(2, batch.pk, [{ pk: stock.pk }]);
  await omnitron.markDone(2, batch.pk, [{ pk: stock.pk, remote_id: `gid://shopify/InventoryItem/${stock.product}` }]);
  const before = await omnitron.fetchProductStocks({ channelId: 2, kind: 'updates', limit: 100 });
  expect(before.stocks.map((s) => s.pk)).not.toContain(stock.pk);

  const sku = `SF${String(stock.product).padStart(7, '0')}`;
  await whippy.insertOrUpdateStocks({ sku, provider: 'shop_provider', location: '110', stock: 17 });
  await whippy.insertOrUpdateStocks({ sku, provider: 'dc_provider', location: '113', stock: 3 });
  await whippy.increaseReservedStock({ sku, location: '113' });
  const updates = await omnitron.fetchProductStocks({ channelId: 2, kind: 'updates', limit: 100 });
  // Main list = locations 110 and 113: 17 + (3 − 1).
  expect(updates.stocks.find((s) => s.pk === stock.pk)).toMatchObject({ stock: 19, sold_quantity_unreported: 1 });
  const expected = await control(`channels/2/expected?stock_list=1`);
  expect(expected.data.quantities[sku]).toBe(19);
});

test('a malformed record is reported with its field while the rest of the page parses', async () => {
  await axios.put(`${sandbox.urls.control}faults/omnitron`, { malformedRate: 0.2 });
  try {
    const page = await omnitron.fetchProductStocks({ channelId: 1, kind: 'inserts', limit: 100 });
    expect(page.malformed.length).toBeGreaterThan(0);
    expect(page.stocks.length + page.malformed.length).toBe(100);
    for (const bad of page.malformed) {
      expect(bad.fields.map((f) => f.path)).toEqual([expect.stringMatching(/^(stock|product)$/)]);
      expect(typeof bad.pk).toBe('number');
    }
  } finally {
    await axios.put(`${sandbox.urls.control}faults/omnitron`, { malformedRate: 0 });
  }
  const clean = await omnitron.fetchProductStocks({ channelId: 1, kind: 'inserts', limit: 100 });
  expect(clean.malformed).toEqual([]);
});

test('products, prices and a response missing a field -> ResponseValidationError naming it', async () => {
  const products = await omnitron.listProducts(1, [1, 2, 50]);
  expect(products.map((p) => p.sku)).toEqual(['SF0000001', 'SF0000002', 'SF0000050']);
  const prices = await omnitron.listExtraProductPrices(1, [1, 37, 74], 1);
  expect(prices.map((p) => p.product)).toEqual([1]);
  const productActions = await omnitron.listIntegrationActions(2, {
    content_type_name: 'product',
    object_id__in: [1, 50],
  });
  expect(productActions.results.map((a) => a.remote_id)).toEqual(['gid://shopify/InventoryItem/1']);

  const channel = sandbox.state.catalog.channels.get(1);
  if (!channel) throw new Error('no channel');
  const saved = channel.is_active;
  delete (channel as { is_active?: boolean }).is_active;
  try {
    const err = await omnitron.getChannel(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseValidationError);
    expect((err as ResponseValidationError).fields.map((f) => f.path)).toEqual(['is_active']);
  } finally {
    channel.is_active = saved;
  }
});
