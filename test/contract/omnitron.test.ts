/** Omnitron client vs the sandbox's Omnitron face: auth, the batch life cycle, hiding, derived stocks, validation. */
import { inspect } from 'node:util';
import axios from 'axios';
import { AuthenticationError, ClientRequestError, ResponseValidationError } from '../../src/http/errors';
import { OmnitronClient } from '../../src/omnitron/client';
import { batchObject } from '../../src/omnitron/schemas';
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
  expect(batch).toMatchObject({ status: 'initialized', content_type: null, objects: [] });
  const committed = await omnitron.commitBatch(1, batch.pk, [
    { pk: ok.pk, version_date: ok.modified_date },
    { pk: failed.pk, version_date: failed.modified_date },
  ]);
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
  await expect(
    omnitron.commitBatch(1, other.pk, [{ pk: after.stocks[0]?.pk ?? 0, version_date: null }]),
  ).rejects.toThrow(/already in commit/);

  await omnitron.markSentToRemote(1, batch.pk, 'remote-42');
  await omnitron.markOngoing(1, batch.pk);
  const done = await omnitron.markDone(1, batch.pk, [
    batchObject(ok.pk, { remote_id: 'SF0000001' }),
    batchObject(failed.pk, { failed_reason_type: 'remote' }),
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
  const channelType = await omnitron.getContentType('channel');
  await omnitron.createErrorReport(1, {
    action_content_type: contentType.pk,
    action_object_id: failed.pk,
    target_content_type: channelType.pk,
    target_object_id: '1',
    obj_modified_date: failed.modified_date,
    error_code: `${batch.local_batch_id}-Channel-SendInsertedStocks-1`,
    error_desc: 'barcode unknown',
    raw_request: 'POST-url-body',
    raw_response: '{}',
    is_ok: false,
  });
  const reports = await omnitron.listErrorReports(1, { error_code__startswith: batch.local_batch_id, is_ok: false });
  expect(reports.count).toBe(1);
  expect(reports.results[0]).toMatchObject({ action_object_id: failed.pk, error_desc: 'barcode unknown' });
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
  await omnitron.commitBatch(2, batch.pk, [{ pk: stock.pk, version_date: stock.modified_date }]);
  await omnitron.markDone(2, batch.pk, [
    batchObject(stock.pk, { remote_id: `gid://shopify/InventoryItem/${stock.product}` }),
  ]);
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

  const channel = sandbox.state.catalog.model.channels.get(1);
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

describe('the sandbox refuses what Omnitron refuses, in its words', () => {
  const token = async () => (await axios.post(`${sandbox.urls.omnitron}auth/login/`, seededLogin)).data.key as string;
  const seededLogin = { username: 'stockflow', password: 'sandbox' };
  const raw = async (method: 'get' | 'post' | 'patch', path: string, data?: unknown) =>
    axios.request({
      method,
      url: `${sandbox.urls.omnitron}${path}`,
      data,
      headers: { Authorization: `Token ${await token()}` },
      validateStatus: () => true,
    });

  test('an error report without its required fields, or with the wrong names, answers 400 per field', async () => {
    const answer = await raw('post', 'channel/1/error_reports/', {
      action_content_type: 2,
      action_object_id: 1,
      error_code: 'x-ProductStock-1',
      error_description: 'the old name',
      raw_request: '',
      raw_response: '',
      is_ok: false,
    });
    expect(answer.status).toBe(400);
    expect(answer.data).toEqual({
      target_content_type: ['This field is required.'],
      target_object_id: ['This field is required.'],
      obj_modified_date: ['This field is required.'],
      error_desc: ['This field is required.'],
    });
    const bad = await raw('post', 'channel/1/error_reports/', {
      action_content_type: 999,
      action_object_id: 'one',
      target_content_type: 6,
      target_object_id: '1',
      obj_modified_date: 'yesterday',
      error_code: 'x',
      error_desc: 'y',
      raw_request: null,
      raw_response: null,
      is_ok: 'maybe',
    });
    expect(bad.data).toEqual({
      action_content_type: ['Invalid pk "999" - object does not exist.'],
      action_object_id: ['A valid integer is required.'],
      obj_modified_date: [expect.stringMatching(/^Datetime has wrong format/)],
      is_ok: ['Must be a valid boolean.'],
    });
  });

  test('an unknown batch status, a missing status and an object without pk are refused', async () => {
    const batch = await omnitron.createBatch(1);
    const unknown = await raw('patch', `channel/1/batch_requests/${batch.pk}/`, { channel: 1, status: 'sending' });
    expect(unknown).toMatchObject({ status: 400, data: { status: ['"sending" is not a valid choice.'] } });
    const missing = await raw('patch', `channel/1/batch_requests/${batch.pk}/`, { channel: 1 });
    expect(missing).toMatchObject({ status: 400, data: { status: ['This field is required.'] } });
    const noPk = await raw('patch', `channel/1/batch_requests/${batch.pk}/`, {
      status: 'commit',
      content_type: 'productstock',
      objects: [{ version_date: null }],
    });
    expect(noPk).toMatchObject({ status: 400, data: { objects: [{ pk: ['This field is required.'] }] } });
    await omnitron.markFail(1, batch.pk);
  });

  test('a URL over 8 KiB is refused with 414 before Omnitron sees it', async () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => 100_000_001 + i).join(',');
    const answer = await raw('get', `channel/1/integration_actions/?object_id__in=${ids}`);
    expect(answer.status).toBe(414);
    const short = await raw('get', `channel/1/integration_actions/?object_id__in=${ids.slice(0, 500)}`);
    expect(short.status).toBe(200);
  });

  test('records answer in the official shapes: actions without a key and with a nested channel, prices keyed id', async () => {
    const actions = await raw('get', 'channel/2/integration_actions/?content_type_name=product&object_id__in=1');
    expect(actions.data.results).toHaveLength(1);
    const [action] = actions.data.results;
    expect(action).not.toHaveProperty('pk');
    expect(action).not.toHaveProperty('id');
    expect(action.channel).toMatchObject({ id: 2, is_active: true });
    expect(action.content_type).toMatchObject({ model: 'product' });
    const prices = await raw('get', 'channel/1/extra_product_prices/?product__pk__in=1&price_list=1');
    expect(prices.data.results).toEqual([expect.objectContaining({ id: 1, price: expect.any(Number) })]);
    expect((await raw('get', 'channels/1/')).data).toMatchObject({ id: 1, conf: { WAREHOUSE_CODES: {} } });
    const fresh = await omnitron.createBatch(1);
    expect((await raw('get', `channel/1/batch_requests/${fresh.pk}/`)).data).toMatchObject({ objects: null });
    await omnitron.markFail(1, fresh.pk);
  });
});
