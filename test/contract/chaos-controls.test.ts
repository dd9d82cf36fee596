/**
 * The sandbox controls `npm run chaos` measures with, over real loopback HTTP: a delivered baseline, product stocks
 * delivered in two `done` batches, records handed out malformed (persistently), and marketplace bodies accepted again.
 */
import axios from 'axios';
import { createChannelAdapter } from '../../src/channels/registry';
import type { ChannelItem } from '../../src/channels/port';
import { OmnitronClient } from '../../src/omnitron/client';
import { batchObject } from '../../src/omnitron/schemas';
import { sandboxChannelConfigs } from '../../src/sandbox/connect';
import type { MarketplaceStats } from '../../src/sandbox/marketplace-state';
import { startSandbox, type Sandbox } from '../../src/sandbox/server';
import { expectedQuantities, sandboxControl, channelMismatches, type Control } from '../support/channel-checks';

const SKUS = 150;
/** Every 50th seeded product was never sent to the channels. */
const LISTED = SKUS - Math.floor(SKUS / 50);

let sandbox: Sandbox;
let control: Control;
let omnitron: OmnitronClient;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, marketplace: { batchDelayMs: 0 } });
  control = sandboxControl(sandbox);
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  sandbox.state.reset();
  const seeded = await control<{ credentials: { omnitron: { username: string; password: string } } }>('POST', 'seed', {
    skus: SKUS,
  });
  omnitron = new OmnitronClient({ baseURL: sandbox.urls.omnitron, ...seeded.credentials.omnitron });
});

/** The refusal of a control request, as status and body. */
async function refusal(method: 'GET' | 'POST', path: string): Promise<{ status?: number; body: unknown }> {
  const err = await axios.request({ method, url: `${sandbox.urls.control}${path}`, data: {} }).catch((e: unknown) => e);
  if (!axios.isAxiosError(err)) throw new Error(`${method} ${path} did not fail`);
  return { status: err.response?.status, body: err.response?.data };
}

test('baseline: the marketplaces hold Omnitron quantities, updates/ is empty until a stock changes', async () => {
  const before = await expectedQuantities(control, 1);
  expect((await channelMismatches(control, 1, before)).length).toBe(LISTED);

  const marked = await Promise.all([1, 2].map((channel) => control('POST', `channels/${channel}/baseline`, {})));
  // Every 50th product was never sent to the channels: it stays an insert and is not held.
  expect(marked).toEqual([
    { channel: 1, stock_list: 1, delivered: LISTED },
    { channel: 2, stock_list: 1, delivered: LISTED },
  ]);
  expect(await channelMismatches(control, 1, await expectedQuantities(control, 1))).toEqual([]);
  expect(await channelMismatches(control, 2, await expectedQuantities(control, 2))).toEqual([]);
  const updates = await omnitron.fetchProductStocks({ channelId: 1, kind: 'updates', limit: 1_000 });
  expect(updates.count).toBe(0);
  const inserts = await omnitron.fetchProductStocks({ channelId: 1, kind: 'inserts', limit: 1_000 });
  expect(inserts.stocks.map((s) => s.product)).toEqual([50, 100, 150]);

  await control('POST', 'stocks', { changes: [{ sku: 'SF0000007', location: '110', delta: 5 }] });
  const changed = await omnitron.fetchProductStocks({ channelId: 1, kind: 'updates', limit: 1_000 });
  expect(changed.stocks.map((s) => s.product)).toEqual([7]);
  expect(await channelMismatches(control, 1, await expectedQuantities(control, 1))).toEqual([
    `SF0000007: ${before.SF0000007} != ${changed.stocks[0]?.stock}`,
  ]);

  expect(await refusal('POST', 'channels/9/baseline')).toEqual({
    status: 400,
    body: { detail: 'Unknown channel or stock list.' },
  });
});

test('open batches with their objects; a product stock delivered by two done batches is listed, above after_batch', async () => {
  const [stock] = (await omnitron.fetchProductStocks({ channelId: 2, kind: 'inserts', limit: 1 })).stocks;
  if (!stock) throw new Error('no insert');
  const deliver = async () => {
    const batch = await omnitron.createBatch(2);
    await omnitron.commitBatch(2, batch.pk, [{ pk: stock.pk, version_date: stock.modified_date }]);
    await omnitron.markDone(2, batch.pk, [
      batchObject(stock.pk, { remote_id: `gid://shopify/InventoryItem/${stock.product}` }),
    ]);
    return batch.pk;
  };
  const none = { pks: [], batches: [] };
  // An open batch is listed with its objects (what a stuck batch holds).
  const open = await omnitron.createBatch(2);
  await omnitron.commitBatch(2, open.pk, [{ pk: stock.pk, version_date: stock.modified_date }]);
  expect(await control('GET', 'omnitron/batches?channel=2')).toMatchObject({
    counts: { commit: 1 },
    open: [{ pk: open.pk, status: 'commit', objects: 1 }],
  });
  await omnitron.markFail(2, open.pk);
  const first = await deliver();
  expect(await control('GET', 'omnitron/duplicates?channel=2')).toEqual({ channel: 2, ...none });
  const second = await deliver();
  expect(await control('GET', 'omnitron/duplicates?channel=2')).toEqual({
    channel: 2,
    pks: [stock.pk],
    batches: [second],
  });
  expect(await control('GET', `omnitron/duplicates?channel=2&after_batch=${first}`)).toEqual({ channel: 2, ...none });
  expect(await control('GET', 'omnitron/duplicates?channel=1')).toEqual({ channel: 1, ...none });
  expect(await refusal('GET', 'omnitron/duplicates')).toEqual({
    status: 400,
    body: { channel: ['This parameter is required.'] },
  });
});

test('persistent malformation: the same records in every answer and when read by pk; each handout recorded', async () => {
  await control('PUT', 'faults/omnitron', { malformedRate: 0.2, malformedPersistent: true });
  const first = await omnitron.fetchProductStocks({ channelId: 1, kind: 'inserts', limit: 100 });
  const second = await omnitron.fetchProductStocks({ channelId: 1, kind: 'inserts', limit: 100 });
  const brokenPks = first.malformed.map((m) => m.pk);
  expect(brokenPks.length).toBeGreaterThan(0);
  expect(second.malformed.map((m) => m.pk)).toEqual(brokenPks);

  const read = await omnitron.getProductStocks(
    1,
    brokenPks.map((pk) => pk ?? 0),
  );
  expect(read.stocks).toEqual([]);
  expect(read.malformed.map((m) => m.pk)).toEqual(brokenPks);

  const { records } = await control<{ records: { pk: number; sku: string; times: number }[] }>(
    'GET',
    'omnitron/malformed?channel=1',
  );
  // Handouts only (updates/, inserts/): the read by pk above is not one.
  expect(records).toEqual(brokenPks.map((pk) => ({ pk, sku: `SF${String(pk).padStart(7, '0')}`, times: 2 })));
  expect(await control('GET', 'omnitron/malformed?channel=2')).toEqual({ channel: 2, records: [] });

  // Per answer (not persistent): reads by pk stay clean.
  await control('PUT', 'faults/omnitron', { malformedRate: 1, malformedPersistent: false });
  expect((await omnitron.getProductStocks(1, [1, 2, 3])).malformed).toEqual([]);
  await control('PUT', 'faults/omnitron', { malformedRate: 0 });
});

test('marketplace stats count bodies accepted although identical ones were accepted before', async () => {
  await control('PUT', 'marketplace/options', { repeatWindowMs: 0 });
  const configs = sandboxChannelConfigs(sandbox.urls);
  const trendyol = createChannelAdapter(configs[1]);
  const shopify = createChannelAdapter(configs[2]);
  const item = (n: number, quantity: number): ChannelItem => ({
    sku: `SF000000${n}`,
    remoteId: `SF000000${n}`,
    quantity,
  });
  const shopifyItem = (n: number, quantity: number): ChannelItem => ({
    ...item(n, quantity),
    remoteId: `gid://shopify/InventoryItem/${n}`,
    warehouseCode: 'gid://shopify/Location/1',
  });
  const stats = () => control<MarketplaceStats>('GET', 'marketplace/stats');

  await trendyol.sendUpdatedStocks([item(1, 4), item(2, 5)], { sendKey: 'chaos-controls' });
  await trendyol.sendUpdatedStocks([item(1, 4), item(2, 6)], { sendKey: 'chaos-controls' });
  await shopify.sendUpdatedStocks([shopifyItem(1, 4)], { sendKey: 'chaos-controls-1' });
  expect(await stats()).toMatchObject({ trendyolBodiesAcceptedAgain: 0, shopifyMutationsAppliedAgain: 0 });

  // The repeat window (0 here) has passed: Trendyol accepts the same body again, and it is counted.
  await trendyol.sendUpdatedStocks([item(1, 4), item(2, 5)], { sendKey: 'chaos-controls' });
  // Other sends (other keys) of the same rows: applied again, and counted.
  await shopify.sendUpdatedStocks([shopifyItem(1, 4)], { sendKey: 'chaos-controls-2' });
  await shopify.sendUpdatedStocks([shopifyItem(1, 4)], { sendKey: 'chaos-controls-3' });
  expect(await stats()).toMatchObject({
    batchesAccepted: 3,
    shopifyMutations: 3,
    trendyolBodiesAcceptedAgain: 1,
    shopifyMutationsAppliedAgain: 2,
  });
});

test('control bodies are bounded: an oversized count or delay is a 400 naming the limit, and nothing changes', async () => {
  const post = (path: string, body: object) =>
    axios.request({ method: 'POST', url: `${sandbox.url}/control/${path}`, data: body, validateStatus: () => true });
  const before = sandbox.state.catalog.describe();
  const huge = await post('stocks', { random: { count: 100_000_000, seed: 1 } });
  expect(huge.status).toBe(400);
  expect(JSON.stringify(huge.data)).toContain('random.count: at most 1000000 stock changes per request');
  expect(sandbox.state.catalog.describe()).toEqual(before);
  const drift = await post('channels/1/drift', { random: { count: 100_001, seed: 1 } });
  expect(drift.status).toBe(400);
  expect(JSON.stringify(drift.data)).toContain('at most 100000 drifted SKUs per request');
  const slow = await axios.put(
    `${sandbox.url}/control/faults/omnitron`,
    { latencyMs: 1e9 },
    { validateStatus: () => true },
  );
  expect(slow.status).toBe(400);
  expect(slow.data).toEqual({ latencyMs: ['at most 60000 ms'] });
  const seeded = await post('seed', { skus: 10_000_000 });
  expect(seeded.status).toBe(400);
  expect(JSON.stringify(seeded.data)).toContain('skus: at most 5000000 SKUs');
});
