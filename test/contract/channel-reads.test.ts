/**
 * The read port reconciliation uses, against the sandbox marketplaces over real loopback HTTP: Trendyol's
 * "Approved Products Stock and Price" filter (`barcodes`, at most 50) and Shopify's `nodes` query of inventory levels
 * at a location; what an unknown or unstocked item reads as; a drifted quantity read back exactly.
 */
import axios from 'axios';
import { createChannelAdapter } from '../../src/channels/registry';
import type { ChannelAdapter, ChannelItem } from '../../src/channels/port';
import { ClientRequestError, RateLimitedError } from '../../src/http/errors';
import { SANDBOX_MARKETPLACE_CREDENTIALS as CREDENTIALS } from '../../src/sandbox/marketplace-state';
import { awaitDone, caught, contractListings, useContractSandbox } from '../support/contract-sandbox';

const LISTINGS = contractListings(60);
const LOCATION = (n: number) => `gid://shopify/Location/${n}`;

const sandbox = useContractSandbox({ listings: LISTINGS, batchDelayMs: 0 });

function trendyol(overrides: object = {}): ChannelAdapter {
  return createChannelAdapter({
    adapter: 'trendyol',
    baseURL: sandbox().urls.trendyol,
    ...CREDENTIALS.trendyol,
    integratorName: 'Stockflow',
    ...overrides,
  });
}

function shopify(): ChannelAdapter {
  return createChannelAdapter({
    adapter: 'shopify',
    baseURL: sandbox().urls.shopify,
    accessToken: CREDENTIALS.shopify.accessToken,
    defaultLocationId: LOCATION(3),
  });
}

const barcode = (i: number | string) => ({ remoteId: `BC-${i}` });
const send = { sendKey: 'read-test' };

async function settled(adapter: ChannelAdapter, items: ChannelItem[]) {
  const outcome = await adapter.sendUpdatedStocks(items, send);
  if (outcome.mode !== 'async') return;
  await awaitDone(adapter, outcome.remoteBatchId, { timeoutMs: 2_000, intervalMs: 10 });
}

describe('trendyol read port', () => {
  test('held quantities by barcode, in the order asked; a listed barcode never sent reads 0, an unknown one null', async () => {
    const adapter = trendyol();
    await settled(adapter, [
      { sku: 'SKU-0', remoteId: 'BC-0', quantity: 7 },
      { sku: 'SKU-2', remoteId: 'BC-2', quantity: 0 },
    ]);
    expect(await adapter.readQuantities([barcode(2), barcode('nope'), barcode(0), barcode(1)])).toEqual([
      { remoteId: 'BC-2', quantity: 0 },
      { remoteId: 'BC-nope', quantity: null },
      { remoteId: 'BC-0', quantity: 7 },
      { remoteId: 'BC-1', quantity: 0 },
    ]);
    expect(await adapter.readQuantities([])).toEqual([]);
  });

  test('drift made at the marketplace is read back: another quantity, and an item that is gone', async () => {
    const adapter = trendyol();
    await settled(adapter, [{ sku: 'SKU-3', remoteId: 'BC-3', quantity: 4 }]);
    sandbox().state.marketplace.driftTrendyol('BC-3', 9);
    sandbox().state.marketplace.driftTrendyol('BC-4', null);
    expect(await adapter.readQuantities([barcode(3), barcode(4)])).toEqual([
      { remoteId: 'BC-3', quantity: 9 },
      { remoteId: 'BC-4', quantity: null },
    ]);
  });

  test('at most 50 barcodes a read: more is refused by the adapter, and by the sandbox as Trendyol documents', async () => {
    const many = LISTINGS.slice(0, 51).map((_, i) => barcode(i));
    await expect(trendyol().readQuantities(many)).rejects.toThrow(/at most 50/);
    const unbounded = trendyol({ limits: { readItemsPerRequest: 60 } });
    const error = await caught(unbounded.readQuantities(many));
    expect(error).toBeInstanceOf(ClientRequestError);
    expect((error as ClientRequestError).status).toBe(400);
  });

  test('the documented path and shape: Basic auth and the seller User-Agent required, content[].variants[]', async () => {
    const { sellerId, apiKey, apiSecret } = CREDENTIALS.trendyol;
    const url = `${sandbox().urls.trendyol}integration/product/sellers/${sellerId}/products/approved/inventory-and-price`;
    const params = { barcodes: 'BC-1,BC-nope', size: 50 };
    const anonymous = await axios.get(url, { params, validateStatus: () => true });
    expect(anonymous.status).toBe(403);
    const wrong = await axios.get(url, {
      params,
      auth: { username: apiKey, password: 'wrong' },
      headers: { 'User-Agent': `${sellerId} - SelfIntegration` },
      validateStatus: () => true,
    });
    expect(wrong.status).toBe(401);
    const answer = await axios.get(url, {
      params,
      auth: { username: apiKey, password: apiSecret },
      headers: { 'User-Agent': `${sellerId} - SelfIntegration` },
    });
    expect(answer.data).toMatchObject({
      totalElements: 1,
      content: [{ variants: [{ barcode: 'BC-1', quantity: 0 }] }],
    });
  });
});

describe('shopify read port', () => {
  test('available at each item’s location (the default location without a code); unknown or unstocked: null', async () => {
    const adapter = shopify();
    const inventory = (i: number) => `gid://shopify/InventoryItem/${100 + i}`;
    await settled(adapter, [
      { sku: 'SKU-0', remoteId: inventory(0), quantity: 5 },
      { sku: 'SKU-1', remoteId: inventory(1), quantity: 0, warehouseCode: LOCATION(2) },
    ]);
    expect(
      await adapter.readQuantities([
        { remoteId: inventory(0) },
        { remoteId: inventory(1), warehouseCode: LOCATION(2) },
        { remoteId: inventory(1) },
        { remoteId: 'gid://shopify/InventoryItem/999999' },
      ]),
    ).toEqual([
      { remoteId: inventory(0), quantity: 5 },
      { remoteId: inventory(1), quantity: 0 },
      { remoteId: inventory(1), quantity: null },
      { remoteId: 'gid://shopify/InventoryItem/999999', quantity: null },
    ]);
  });

  test('a drifted level reads back; a read beyond the 250-item input is refused before any request', async () => {
    const adapter = shopify();
    const item = 'gid://shopify/InventoryItem/105';
    await settled(adapter, [{ sku: 'SKU-5', remoteId: item, quantity: 3 }]);
    sandbox().state.marketplace.driftShopify(item, LOCATION(3), 11);
    expect(await adapter.readQuantities([{ remoteId: item }])).toEqual([{ remoteId: item, quantity: 11 }]);
    const tooMany = Array.from({ length: 251 }, () => ({ remoteId: item }));
    await expect(adapter.readQuantities(tooMany)).rejects.toThrow(/at most 250/);
  });

  test('reads cost from the same bucket as mutations: an empty bucket throttles them with the refill time', async () => {
    await axios.put(`${sandbox().urls.control}marketplace/options`, {
      shopifyMaximumAvailable: 10,
      shopifyRestoreRate: 1,
    });
    const adapter = shopify();
    const read = () => adapter.readQuantities([{ remoteId: 'gid://shopify/InventoryItem/100' }]);
    expect(await read()).toEqual([{ remoteId: 'gid://shopify/InventoryItem/100', quantity: null }]);
    const error = await caught(read());
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    expect((error as RateLimitedError).serverMessage).toContain('THROTTLED');
  });
});
