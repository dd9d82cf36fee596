/** Whippy Ware client vs the sandbox's Whippy face: every endpoint, its status codes and shapes (reference examples). */
import axios from 'axios';
import { ClientRequestError, AuthenticationError } from '../../src/http/errors';
import { startSandbox, type Sandbox } from '../../src/sandbox/server';
import { WhippyStockClient } from '../../src/stock-api/client';

let sandbox: Sandbox;
let whippy: WhippyStockClient;
let token: string;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  const seeded = sandbox.state.catalog.seed({ skus: 250 });
  token = seeded.credentials.whippyToken;
  whippy = new WhippyStockClient({ baseURL: sandbox.urls.whippy, apiToken: token });
});
afterAll(() => sandbox.close());

const example = { provider: 'shop_provider', location: '110', stock: 5, sku: '555AB1300456213004' };

async function rejection(promise: Promise<unknown>): Promise<ClientRequestError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ClientRequestError)) throw new Error(`expected a ClientRequestError, got ${String(err)}`);
  return err;
}

test('a wrong token is rejected with AuthenticationError', async () => {
  const bad = new WhippyStockClient({ baseURL: sandbox.urls.whippy, apiToken: 'nope' });
  const err = await rejection(bad.listStocks());
  expect(err).toBeInstanceOf(AuthenticationError);
  expect(err.status).toBe(401);
});

test('create, then duplicate -> 400 stock_exists_error; missing fields and provider mismatch -> 400', async () => {
  const created = await whippy.createStock({ ...example, stock_type: 'standard', unit_type: 'qty', period: null });
  expect(created).toMatchObject({ ...example, reserved_stock: 0, is_active: true, period: null });
  expect(created.id).toBeGreaterThan(1000);

  const duplicate = await rejection(whippy.createStock(example));
  expect(duplicate.status).toBe(400);
  expect(JSON.parse(duplicate.serverMessage ?? '')).toEqual({ stock_exists_error: 'Stock already exists.' });

  const missing = await rejection(whippy.createStock({} as never));
  expect(JSON.parse(missing.serverMessage ?? '')).toEqual({
    sku: ['This field is required.'],
    provider: ['This field is required.'],
    location: ['This field is required.'],
    stock: ['This field is required.'],
  });

  const mismatch = await rejection(whippy.createStock({ ...example, sku: 'X-1', provider: 'dc_provider' }));
  expect(JSON.parse(mismatch.serverMessage ?? '')).toEqual({
    invalid_location: 'Location does not belong to provider.',
  });
});

test('increase/decrease reserved stock; the same dated change again -> 208 Already reported', async () => {
  const target = { sku: 'SF0000007', location: '111' };
  const before = (await whippy.listStocks({ sku: target.sku, location: target.location })).results[0];
  const up = await whippy.increaseReservedStock({ ...target, date: '2026-11-23T10:00:00Z' });
  expect(up).toMatchObject({ sku: target.sku, location: '111', reserved_stock: (before?.reserved_stock ?? 0) + 1 });
  await expect(whippy.increaseReservedStock({ ...target, date: '2026-11-23T10:00:00Z' })).resolves.toEqual({
    alreadyReported: true,
  });
  const down = await whippy.decreaseReservedStock(target);
  expect(down).toMatchObject({ reserved_stock: before?.reserved_stock });
  const blank = await rejection(whippy.increaseReservedStock({ sku: '', location: '' }));
  expect(JSON.parse(blank.serverMessage ?? '{}')).toEqual({
    sku: ['This field may not be blank.'],
    location: ['This field may not be blank.'],
  });
});

test('stock queries: Store_checkResult single (raw and salable) and multi', async () => {
  await whippy.insertOrUpdateStocks([
    { provider: 'shop_provider', location: '110', stock: 9, sku: 'Q-500' },
    { provider: 'dc_provider', location: '112', stock: 4, sku: 'Q-500' },
    { provider: 'shop_provider', location: '111', stock: 3, sku: 'Q-505' },
  ]);
  await whippy.increaseReservedStock({ sku: 'Q-500', location: '110' });
  expect(await whippy.stockQuery('Q-500')).toEqual([
    { sku: 'Q-500', retail_store_code: '110', retail_store_name: 'Store 110', stock: 9 },
    { sku: 'Q-500', retail_store_code: '112', retail_store_name: 'Warehouse 112', stock: 4 },
  ]);
  expect((await whippy.salableStockQuery('Q-500')).map((r) => r.stock)).toEqual([8, 4]);
  const multi = await whippy.multiStockQuery(['Q-500', 'Q-505', 'nope']);
  expect(Object.keys(multi)).toEqual(['Q-500', 'Q-505', 'nope']);
  expect(multi['Q-505']).toEqual([
    { sku: 'Q-505', retail_store_code: '111', retail_store_name: 'Store 111', stock: 3 },
  ]);
  expect(multi.nope).toEqual([]);
  expect((await whippy.multiSalableStockQuery(['Q-500']))['Q-500']?.map((r) => r.stock)).toEqual([8, 4]);
});

test('upsert: single object updates in place; a bad item in an array changes nothing', async () => {
  await whippy.insertOrUpdateStocks({ provider: 'shop_provider', location: '110', stock: 1, sku: 'Q-500' });
  expect((await whippy.stockQuery('Q-500'))[0]?.stock).toBe(1);
  const err = await rejection(
    whippy.insertOrUpdateStocks([
      { provider: 'shop_provider', location: '110', stock: 50, sku: 'Q-500' },
      { provider: 'shop_provider', location: '110', sku: 'Q-501' } as never,
    ]),
  );
  expect(JSON.parse(err.serverMessage ?? '')).toEqual({ errors: [{}, { stock: ['This field is required.'] }] });
  expect((await whippy.stockQuery('Q-500'))[0]?.stock).toBe(1);
});

/** A raw request to the Whippy face (no client in between), answering status and parsed body whatever the status. */
async function raw(method: 'GET' | 'POST', path: string, data?: unknown, contentType = 'application/json') {
  const response = await axios.request<unknown>({
    method,
    url: `${sandbox.urls.whippy}${path}`,
    data,
    headers: { Authorization: `Token ${token}`, 'Content-Type': contentType },
    validateStatus: () => true,
  });
  return { status: response.status, body: response.data };
}

describe("field errors answer DRF's own message per field type", () => {
  const valid = { provider: 'shop_provider', location: '110', stock: 5, sku: 'DRF-1' };
  const created = async (fields: Record<string, unknown>) => raw('POST', 'stocks/', { ...valid, ...fields });

  test.each<[string, Record<string, unknown>, Record<string, string[]>]>([
    ['a string for an integer', { stock: 'five' }, { stock: ['A valid integer is required.'] }],
    ['a fraction for an integer', { stock: 2.5 }, { stock: ['A valid integer is required.'] }],
    ['negative stock', { stock: -1 }, { stock: ['Ensure this value is greater than or equal to 0.'] }],
    [
      'negative reserved stock',
      { reserved_stock: -2 },
      { reserved_stock: ['Ensure this value is greater than or equal to 0.'] },
    ],
    ['a blank sku', { sku: '' }, { sku: ['This field may not be blank.'] }],
    ['a blank location', { location: '' }, { location: ['This field may not be blank.'] }],
    ['a list for a string', { sku: ['DRF-1'] }, { sku: ['Not a valid string.'] }],
    ['a boolean for a location', { location: true }, { location: ['Not a valid string.'] }],
    ['an unknown stock type', { stock_type: 'weekly' }, { stock_type: ['"weekly" is not a valid choice.'] }],
    ['an unknown unit type', { unit_type: 'quantity' }, { unit_type: ['"quantity" is not a valid choice.'] }],
    ['garbage for a boolean', { is_active: 'maybe' }, { is_active: ['Must be a valid boolean.'] }],
    ['null stock', { stock: null }, { stock: ['This field may not be null.'] }],
    ['null provider', { provider: null }, { provider: ['This field may not be null.'] }],
    ['null for an optional choice', { stock_type: null }, { stock_type: ['This field may not be null.'] }],
    [
      'several bad fields at once',
      { sku: '', stock: -1, unit_type: 'kilogram' },
      {
        sku: ['This field may not be blank.'],
        stock: ['Ensure this value is greater than or equal to 0.'],
        unit_type: ['"kilogram" is not a valid choice.'],
      },
    ],
  ])('create with %s -> 400', async (_case, fields, expected) => {
    await expect(created(fields)).resolves.toEqual({ status: 400, body: expected });
  });

  test('missing fields -> "This field is required." each; a null period is allowed', async () => {
    await expect(raw('POST', 'stocks/', {})).resolves.toEqual({
      status: 400,
      body: {
        sku: ['This field is required.'],
        provider: ['This field is required.'],
        location: ['This field is required.'],
        stock: ['This field is required.'],
      },
    });
    const withoutStock: Record<string, unknown> = { ...valid };
    delete withoutStock.stock;
    await expect(raw('POST', 'stocks/', withoutStock)).resolves.toEqual({
      status: 400,
      body: { stock: ['This field is required.'] },
    });
    const ok = await created({ sku: 'DRF-NULL-PERIOD', period: null });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ sku: 'DRF-NULL-PERIOD', period: null });
  });

  test('a body that is not an object -> non_field_errors in DRF words', async () => {
    await expect(raw('POST', 'stocks/', [valid])).resolves.toEqual({
      status: 400,
      body: { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] },
    });
    await expect(raw('POST', 'stocks/', '"DRF-1"')).resolves.toEqual({
      status: 400,
      body: { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] },
    });
    await expect(raw('POST', 'stocks/', 'null')).resolves.toEqual({
      status: 400,
      body: { non_field_errors: ['No data provided'] },
    });
  });

  test('reserved stock: a non-string location and a null sku', async () => {
    await expect(raw('POST', 'stocks/increase_reserved_stock/', { sku: null, location: false })).resolves.toEqual({
      status: 400,
      body: { sku: ['This field may not be null.'], location: ['Not a valid string.'] },
    });
    await expect(raw('POST', 'stocks/decrease_reserved_stock/', { location: '110' })).resolves.toEqual({
      status: 400,
      body: { sku: ['This field is required.'] },
    });
  });

  test('insert_or_update_stock: each list item answers its own errors, and nothing is written', async () => {
    const before = (await whippy.stockQuery('Q-600')).length;
    const answer = await raw('POST', 'stocks/insert_or_update_stock/', [
      { ...valid, sku: 'Q-600' },
      'Q-601',
      7,
      null,
      { ...valid, sku: 'Q-602', stock: '3' },
      { ...valid, sku: 'Q-603', stock: -3, stock_type: 'weekly' },
      { ...valid, sku: 'Q-604', provider: '' },
    ]);
    expect(answer).toEqual({
      status: 400,
      body: {
        errors: [
          {},
          { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] },
          { non_field_errors: ['Invalid data. Expected a dictionary, but got int.'] },
          ['This field may not be null.'],
          { stock: ['A valid integer is required.'] },
          {
            stock: ['Ensure this value is greater than or equal to 0.'],
            stock_type: ['"weekly" is not a valid choice.'],
          },
          { provider: ['This field may not be blank.'] },
        ],
      },
    });
    expect(await whippy.stockQuery('Q-600')).toHaveLength(before);

    await expect(raw('POST', 'stocks/insert_or_update_stock/', { ...valid, is_active: 'maybe' })).resolves.toEqual({
      status: 400,
      body: { is_active: ['Must be a valid boolean.'] },
    });
  });

  test("list filters: a bad number or date answers django-filter's form message", async () => {
    await expect(raw('GET', 'stocks/?stock__gt=many')).resolves.toEqual({
      status: 400,
      body: { stock__gt: ['Enter a number.'] },
    });
    await expect(raw('GET', 'stocks/?reserved_stock=x')).resolves.toEqual({
      status: 400,
      body: { reserved_stock: ['Enter a number.'] },
    });
    await expect(raw('GET', 'stocks/?modified_date__gte=yesterday')).resolves.toEqual({
      status: 400,
      body: { modified_date__gte: ['Enter a valid date/time.'] },
    });
  });
});

test('list filters incl. lookups, sort and paging; the iterator reads every page', async () => {
  const page = await whippy.listStocks({ location: '111', limit: 10, page: 2 });
  expect(page.count).toBeGreaterThanOrEqual(250);
  expect(page.results).toHaveLength(10);
  expect(page.results.every((r) => r.location === '111' && r.provider === 'shop_provider')).toBe(true);
  expect(page.next).toContain('page=3');
  expect(page.previous).toContain('page=1');

  const high = await whippy.listStocks({ stock__gte: 35, provider: 'dc_provider', limit: 1000 });
  expect(high.count).toBeGreaterThan(0);
  expect(high.results.length).toBeGreaterThan(0);
  expect(high.results.every((r) => r.stock >= 35 && r.provider === 'dc_provider')).toBe(true);
  const low = await whippy.listStocks({ stock__lt: 35, provider: 'dc_provider', limit: 1 });
  const allDc = await whippy.listStocks({ provider_name: 'distribution', limit: 1 });
  expect(high.count + low.count).toBe(allDc.count);

  const reserved = await whippy.listStocks({ reserved_stock__gt: 0, limit: 1000 });
  expect(reserved.results.length).toBeGreaterThan(0);
  expect(reserved.results.every((r) => r.reserved_stock > 0)).toBe(true);
  const byName = await whippy.listStocks({ location_name: 'warehouse 11', is_active: true, limit: 1 });
  expect(byName.results[0]?.location).toMatch(/^11[23]$/);
  const future = await whippy.listStocks({ modified_date__gt: '2999-01-01T00:00:00Z' });
  expect(future.count).toBe(0);

  const sorted = await whippy.listStocks({ sku: 'SF0000003', sort: '-stock' });
  const stocks = sorted.results.map((r) => r.stock);
  expect(stocks).toHaveLength(4);
  expect(stocks).toEqual([...stocks].sort((a, b) => b - a));
  expect(sorted.count).toBe(4);

  const seen: string[] = [];
  for await (const record of whippy.iterateStocks({ location: '113', limit: 40 })) seen.push(record.sku);
  expect(seen).toHaveLength(250);
  expect(new Set(seen).size).toBe(250);
});

test('active stocks of a stock list: one SKU, pages, and the iterator', async () => {
  const one = await whippy.activeStocks(2, { sku: 'SF0000010' });
  const main = await whippy.salableStockQuery('SF0000010');
  expect(one.results).toEqual([
    {
      sku: 'SF0000010',
      stock: main.find((r) => r.retail_store_code === '111')?.stock,
      extra_field: { locations: null },
    },
  ]);
  const first = await whippy.activeStocks(1);
  expect(first.results).toHaveLength(100);
  expect(first.next).toContain('page=2');
  expect(first.previous).toBeNull();
  let count = 0;
  for await (const row of whippy.iterateActiveStocks(1)) count += row.sku.startsWith('SF') ? 1 : 0;
  expect(count).toBe(250);
});

test('List Multiple Active Stock (POST stocks/{id}/): the same SKUs and stocks as the active-stocks pages, paged by next', async () => {
  const first = await whippy.multipleActiveStocks(1, 1);
  expect(first.previous).toBeNull();
  expect(first.next).toMatch(/page=2/);
  expect(first.results).toEqual((await whippy.activeStocks(1)).results);
  const second = await whippy.multipleActiveStocks(1, 2);
  expect(second.previous).not.toBeNull();
  expect(second.results[0]?.sku).not.toBe(first.results[0]?.sku);
  const unauthorized = new WhippyStockClient({ baseURL: sandbox.urls.whippy, apiToken: 'nope' });
  expect(await rejection(unauthorized.multipleActiveStocks(1, 1))).toBeInstanceOf(AuthenticationError);
});
