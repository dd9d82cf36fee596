/**
 * The eBay adapter against the sandbox's eBay face over real loopback HTTP, from eBay's documented shapes
 * (bulkUpdatePriceQuantity, bulkGetInventoryItem, the refresh-token grant): quantities per inventory location written
 * as the item's whole ship-to-home availability after a read, per-SKU verdicts matched back by SKU (200 / 207), the
 * OAuth user token cached and refreshed, scopes, the daily quota's 429 (errorId 2001), and the 250 revisions a day.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import type { ChannelAdapter, ChannelItem, SendOutcome } from '../../src/channels/port';
import { createChannelAdapter } from '../../src/channels/registry';
import { AuthenticationError, LimitExceededError, RateLimitedError } from '../../src/http/errors';
import { loadChannels } from '../../src/config/channels';
import { sandboxChannelConfigs } from '../../src/sandbox/connect';
import { sandboxDeployment } from '../../src/sandbox/deployment';
import { EBAY_SANDBOX_CREDENTIALS as CREDENTIALS, SELL_INVENTORY_READONLY } from '../../src/sandbox/faces/ebay/face';
import {
  caught,
  contractListings,
  marketplaceControl,
  merchantItem,
  useContractSandbox,
} from '../support/contract-sandbox';

const WH1 = 'EBAY-WH-1';
const WH2 = 'EBAY-WH-2';
const SEND = { sendKey: 'ebay-contract' };
const UPDATE = 'sell/inventory/v1/bulk_update_price_quantity';
const READ = 'sell/inventory/v1/bulk_get_inventory_item';

const sandbox = useContractSandbox({ listings: contractListings(30) });
const face = () => sandbox().state.marketplace.ebay;
const { setOptions } = marketplaceControl(sandbox);

function ebay(overrides: object = {}): ChannelAdapter {
  return createChannelAdapter({ adapter: 'ebay', baseURL: sandbox().urls.ebay, ...CREDENTIALS, ...overrides });
}

/** At WH1 unless told otherwise; null: no warehouse code (a main list mapped to no location). */
const item = (i: number | string, quantity: number, warehouseCode: string | null = WH1): ChannelItem =>
  merchantItem(i, quantity, warehouseCode === null ? {} : { warehouseCode });

function results(outcome: SendOutcome) {
  if (outcome.mode !== 'sync') throw new Error(`expected a sync outcome, got ${JSON.stringify(outcome)}`);
  return outcome.results;
}

/** A raw call to the face with a token minted through its own endpoint. */
async function raw(path: string, body: unknown, authorization?: string) {
  const token = await axios.post(
    `${sandbox().urls.ebay}identity/v1/oauth2/token`,
    new URLSearchParams({ grant_type: 'refresh_token', refresh_token: CREDENTIALS.refreshToken }).toString(),
    {
      auth: { username: CREDENTIALS.clientId, password: CREDENTIALS.clientSecret },
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    },
  );
  return axios.post(`${sandbox().urls.ebay}${path}`, body, {
    headers: { Authorization: authorization ?? `Bearer ${token.data.access_token as string}` },
    validateStatus: () => true,
  });
}

describe('ebay adapter', () => {
  test('a send reads, then writes each SKU’s whole availability; verdicts per SKU; no secret in the exchanges', async () => {
    const outcome = await ebay().sendUpdatedStocks([item(0, 7), item(1, 0)], SEND);
    expect(results(outcome)).toEqual([
      { remoteId: 'SKU-0', sku: 'SKU-0', warehouseCode: WH1, status: 'success' },
      { remoteId: 'SKU-1', sku: 'SKU-1', warehouseCode: WH1, status: 'success' },
    ]);
    const [read, write] = outcome.exchanges;
    expect(outcome.exchanges.map((e) => [e.method, new URL(e.url).pathname, e.status])).toEqual([
      ['POST', `/ebay/${READ}`, 200],
      ['POST', `/ebay/${UPDATE}`, 200],
    ]);
    expect(JSON.parse(read!.requestBody)).toEqual({ requests: [{ sku: 'SKU-0' }, { sku: 'SKU-1' }] });
    expect(JSON.parse(write!.requestBody)).toEqual({
      requests: [
        {
          sku: 'SKU-0',
          shipToLocationAvailability: {
            quantity: 7,
            availabilityDistributions: [{ merchantLocationKey: WH1, quantity: 7 }],
          },
        },
        {
          sku: 'SKU-1',
          shipToLocationAvailability: {
            quantity: 0,
            availabilityDistributions: [{ merchantLocationKey: WH1, quantity: 0 }],
          },
        },
      ],
    });
    expect(JSON.parse(write!.responseBody)).toEqual({
      responses: [
        { statusCode: 200, sku: 'SKU-0' },
        { statusCode: 200, sku: 'SKU-1' },
      ],
    });
    expect(face().held('SKU-0', WH1)).toBe(7);
    expect(face().held('SKU-0', undefined)).toBe(7);
    const wire = JSON.stringify(outcome.exchanges);
    for (const secret of [CREDENTIALS.clientSecret, CREDENTIALS.refreshToken, 'v^1.1#'])
      expect(wire).not.toContain(secret);
    expect(face().stats()).toMatchObject({ sendsAccepted: 1, itemFailures: 0 });
  });

  test('other locations and their fulfillmentTime survive a write; the total is the sum of the locations', async () => {
    const fulfillmentTime = { unit: 'BUSINESS_DAY', value: 2 };
    face().update([
      {
        sku: 'SKU-0',
        shipToLocationAvailability: {
          quantity: 4,
          availabilityDistributions: [{ merchantLocationKey: WH2, quantity: 4, fulfillmentTime }],
        },
      },
    ]);
    expect(results(await ebay().sendUpdatedStocks([item(0, 6)], SEND))[0]).toMatchObject({ status: 'success' });
    expect(face().availability('SKU-0')).toEqual({
      quantity: 10,
      availabilityDistributions: [
        { merchantLocationKey: WH2, quantity: 4, fulfillmentTime },
        { merchantLocationKey: WH1, quantity: 6 },
      ],
    });
    // The main list without a location sets the total and keeps the locations.
    await ebay().sendUpdatedStocks([item(0, 3, null)], SEND);
    expect(face().availability('SKU-0')).toMatchObject({
      quantity: 3,
      availabilityDistributions: [{ quantity: 4 }, { quantity: 6 }],
    });
  });

  test('per-SKU failures map back to their item: unknown SKU (not written), unknown location, quantity over int32', async () => {
    const outcome = await ebay().sendUpdatedStocks(
      [item(0, 5), item('nope', 1), item(2, 3, 'NOWHERE'), item(3, 2_147_483_648), item(4, 9)],
      SEND,
    );
    const byRemoteId = Object.fromEntries(results(outcome).map((r) => [r.remoteId, r]));
    expect(byRemoteId['SKU-0']).toMatchObject({ status: 'success', warehouseCode: WH1 });
    expect(byRemoteId['SKU-4']).toMatchObject({ status: 'success' });
    expect(byRemoteId['SKU-nope']).toMatchObject({ status: 'failed', sku: 'SKU-nope' });
    expect(byRemoteId['SKU-nope']!.message).toBe(
      'not written, the read failed: 404 25702: SKU SKU-nope is not available in the system',
    );
    expect(byRemoteId['SKU-2']).toMatchObject({ status: 'failed', warehouseCode: 'NOWHERE' });
    expect(byRemoteId['SKU-2']!.message).toMatch(/^400 25709: Invalid value for merchantLocationKey/);
    expect(byRemoteId['SKU-3']!.message).toMatch(/^400 25709: Invalid value for .*quantity/);
    const write = outcome.exchanges[1]!;
    expect(write.status).toBe(207);
    expect(JSON.parse(write.requestBody).requests.map((r: { sku: string }) => r.sku)).toEqual([
      'SKU-0',
      'SKU-2',
      'SKU-3',
      'SKU-4',
    ]);
    expect(face().held('SKU-0', WH1)).toBe(5);
    expect(face().held('SKU-2', 'NOWHERE')).toBeUndefined();
    expect(face().stats().itemFailures).toBe(2);
  });

  test('what eBay already holds is not written again (a revision saved); a fresh quantity is', async () => {
    const adapter = ebay();
    await adapter.sendUpdatedStocks([item(0, 5), item(1, 2)], SEND);
    const again = await adapter.sendUpdatedStocks([item(0, 5), item(1, 2)], SEND);
    expect(results(again).map((r) => r.status)).toEqual(['success', 'success']);
    expect(again.exchanges.map((e) => new URL(e.url).pathname)).toEqual([`/ebay/${READ}`]);
    const changed = await adapter.sendUpdatedStocks([item(0, 5), item(1, 3)], SEND);
    expect(JSON.parse(changed.exchanges[1]!.requestBody).requests.map((r: { sku: string }) => r.sku)).toEqual([
      'SKU-1',
    ]);
    expect(face().held('SKU-1', WH1)).toBe(3);
    expect(face().stats().bodiesAppliedAgain).toBe(0);
  });

  test('a listing revised its daily maximum is refused for that SKU only (25002)', async () => {
    face().revisionsPerDay = 2;
    const adapter = ebay();
    await adapter.sendUpdatedStocks([item(0, 1)], SEND);
    await adapter.sendUpdatedStocks([item(0, 2)], SEND);
    const third = results(await adapter.sendUpdatedStocks([item(0, 3), item(1, 3)], SEND));
    expect(third[0]).toMatchObject({ remoteId: 'SKU-0', status: 'failed' });
    expect(third[0]!.message).toContain('400 25002: A user error has occurred');
    expect(third[1]).toMatchObject({ remoteId: 'SKU-1', status: 'success' });
    expect(face().held('SKU-0', WH1)).toBe(2);
  });

  test('items eBay could never take are refused locally; more than 25 is a caller bug', async () => {
    const long = { sku: 'L', remoteId: 'X'.repeat(51), quantity: 1, warehouseCode: WH1 };
    const outcome = await ebay().sendUpdatedStocks([long, item(0, -1)], SEND);
    expect(outcome).toEqual({
      mode: 'sync',
      results: [
        expect.objectContaining({
          remoteId: long.remoteId,
          status: 'failed',
          message: expect.stringContaining('50 characters'),
        }),
        expect.objectContaining({
          remoteId: 'SKU-0',
          status: 'failed',
          message: 'quantity -1 is not a non-negative integer',
        }),
      ],
      exchanges: [],
    });
    const many = Array.from({ length: 26 }, (_, i) => item(i, 1));
    expect(await caught(ebay().sendUpdatedStocks(many, SEND))).toBeInstanceOf(LimitExceededError);
    expect(await caught(ebay().readQuantities(many))).toBeInstanceOf(LimitExceededError);
    expect(face().stats().requests).toBe(0);
    expect(await caught(ebay().checkBatch('1'))).toBeInstanceOf(Error);
  });

  test('the read port: a location’s quantity, the total without one, null for unknown SKUs and unstocked locations', async () => {
    const adapter = ebay();
    await adapter.sendUpdatedStocks([item(0, 7), item(1, 0)], SEND);
    await adapter.sendUpdatedStocks([item(0, 2, WH2)], SEND);
    face().drift('SKU-1', WH1, 11);
    expect(
      await adapter.readQuantities([
        { remoteId: 'SKU-1', warehouseCode: WH1 },
        { remoteId: 'SKU-nope', warehouseCode: WH1 },
        { remoteId: 'SKU-0', warehouseCode: WH2 },
        { remoteId: 'SKU-0' },
        { remoteId: 'SKU-5', warehouseCode: WH1 },
        { remoteId: 'SKU-0', warehouseCode: WH1 },
      ]),
    ).toEqual([
      { remoteId: 'SKU-1', quantity: 11 },
      { remoteId: 'SKU-nope', quantity: null },
      { remoteId: 'SKU-0', quantity: 2 },
      { remoteId: 'SKU-0', quantity: 9 },
      { remoteId: 'SKU-5', quantity: null },
      { remoteId: 'SKU-0', quantity: 7 },
    ]);
    face().drift('SKU-0', WH2, null);
    expect(await adapter.readQuantities([{ remoteId: 'SKU-0', warehouseCode: WH2 }])).toEqual([
      { remoteId: 'SKU-0', quantity: null },
    ]);
    const before = face().stats().requests;
    expect(await adapter.readQuantities([])).toEqual([]);
    expect(face().stats().requests).toBe(before);
  });
});

describe('ebay OAuth user token', () => {
  test('minted once and cached across calls; concurrent callers share one refresh', async () => {
    const adapter = ebay();
    await Promise.all([0, 1, 2].map((i) => adapter.readQuantities([{ remoteId: `SKU-${i}` }])));
    await adapter.sendUpdatedStocks([item(0, 1)], SEND);
    expect(face().tokens.issued).toBe(1);
  });

  test('not used in its last 5 minutes: a token living 4 minutes is refreshed for every call', async () => {
    face().tokenLifetimeMs = 6 * 60_000;
    const cached = ebay();
    await cached.readQuantities([{ remoteId: 'SKU-0' }]);
    await cached.readQuantities([{ remoteId: 'SKU-0' }]);
    expect(face().tokens.issued).toBe(1);
    face().tokenLifetimeMs = 4 * 60_000;
    const shortLived = ebay();
    await shortLived.readQuantities([{ remoteId: 'SKU-0' }]);
    await shortLived.readQuantities([{ remoteId: 'SKU-0' }]);
    expect(face().tokens.issued).toBe(3);
  });

  test('a revoked token (401 errorId 1001) is refreshed once and the call made again', async () => {
    const adapter = ebay();
    await adapter.sendUpdatedStocks([item(0, 1)], SEND);
    face().tokens.revoke();
    expect(results(await adapter.sendUpdatedStocks([item(0, 2)], SEND))[0]).toMatchObject({ status: 'success' });
    expect(face().tokens.issued).toBe(2);
    expect(face().held('SKU-0', WH1)).toBe(2);
  });

  test.each([
    ['client secret', { clientSecret: 'wrong-client-secret' }, 401, 'invalid_client', 'wrong-client-secret'],
    ['refresh token', { refreshToken: 'v^1.1-wrong-refresh' }, 400, 'invalid_grant', 'v^1.1-wrong-refresh'],
    [
      'scope',
      { scopes: ['https://api.ebay.com/oauth/api_scope/sell.fulfillment'] },
      400,
      'invalid_scope',
      'sell.fulfillment',
    ],
  ])('a wrong %s is an AuthenticationError naming no secret', async (_what, wrong, status, code, secret) => {
    const err = await caught(ebay(wrong).sendUpdatedStocks([item(0, 1)], SEND));
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).status).toBe(status);
    expect((err as AuthenticationError).serverMessage).toContain(code);
    if (code !== 'invalid_scope') expect((err as Error).message).not.toContain(secret);
    expect((err as Error).message).not.toContain(CREDENTIALS.clientSecret);
    expect(face().stats().sendsAccepted).toBe(0);
  });

  test('a token without sell.inventory reads but cannot write (403 errorId 1100, after one fresh token)', async () => {
    const adapter = ebay({ scopes: [SELL_INVENTORY_READONLY] });
    expect(await adapter.readQuantities([{ remoteId: 'SKU-0', warehouseCode: WH1 }])).toEqual([
      { remoteId: 'SKU-0', quantity: null },
    ]);
    const err = await caught(adapter.sendUpdatedStocks([item(0, 1)], SEND));
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).status).toBe(403);
    expect((err as AuthenticationError).serverMessage).toContain('1100');
    expect(face().tokens.issued).toBe(2);
  });
});

describe('ebay face', () => {
  test('throttled by the daily quota: 429 errorId 2001, no Retry-After -> RateLimitedError after throttleRetryMs', async () => {
    await setOptions({ budgetScale: 0.000_001 }); // 2,000,000 a day scaled to 2 calls: one send (read + write)
    await ebay().sendUpdatedStocks([item(0, 1)], SEND);
    const err = await caught(ebay({ throttleRetryMs: 45_000 }).readQuantities([{ remoteId: 'SKU-0' }]));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(45_000);
    expect((err as RateLimitedError).path).toBe(`/ebay/${READ}`);
    expect((err as RateLimitedError).serverMessage).toContain('"errorId":2001');
    const byDefault = await caught(ebay().sendUpdatedStocks([item(0, 2)], SEND));
    expect((byDefault as RateLimitedError).retryAfterMs).toBe(60_000);
    expect(face().stats()).toMatchObject({ throttled: 2, sendsAccepted: 1 });
    expect(face().held('SKU-0', WH1)).toBe(1);
  });

  test('refuses calls without a valid Bearer token, over 25 entries, duplicates, and a body that does not bind', async () => {
    const errorIds = (response: { data: { errors?: { errorId: number }[] } }) =>
      response.data.errors?.map((e) => e.errorId);
    const missing = await axios.post(
      `${sandbox().urls.ebay}${READ}`,
      { requests: [{ sku: 'SKU-0' }] },
      { validateStatus: () => true },
    );
    expect([missing.status, errorIds(missing)]).toEqual([400, [1002]]);
    const basic = await raw(READ, { requests: [{ sku: 'SKU-0' }] }, 'Basic abc');
    expect([basic.status, errorIds(basic)]).toEqual([400, [1003]]);
    const unknown = await raw(READ, { requests: [{ sku: 'SKU-0' }] }, 'Bearer v^1.1#not-issued');
    expect([unknown.status, errorIds(unknown)]).toEqual([401, [1001]]);
    const tooMany = Array.from({ length: 26 }, (_, i) => ({ sku: `SKU-${i}` }));
    const overRead = await raw(READ, { requests: tooMany });
    expect([overRead.status, errorIds(overRead)]).toEqual([400, [25727]]);
    const overWrite = await raw(UPDATE, {
      requests: tooMany.map((r) => ({ ...r, shipToLocationAvailability: { quantity: 1 } })),
    });
    expect([overWrite.status, errorIds(overWrite)]).toEqual([400, [25709]]);
    const duplicate = await raw(READ, { requests: [{ sku: 'SKU-0' }, { sku: 'SKU-0' }] });
    expect([duplicate.status, errorIds(duplicate)]).toEqual([400, [25734]]);
    const fractional = await raw(UPDATE, {
      requests: [{ sku: 'SKU-0', shipToLocationAvailability: { quantity: 1.5 } }],
    });
    expect([fractional.status, errorIds(fractional)]).toEqual([400, [25709]]);
    expect(face().stats().sendsAccepted).toBe(0);
  });

  test('answers per SKU: 200 when all succeed, else 207 with each entry’s statusCode and errors', async () => {
    const mixed = await raw(READ, { requests: [{ sku: 'SKU-0' }, { sku: 'SKU-zz' }] });
    expect(mixed.status).toBe(207);
    expect(mixed.data.responses).toEqual([
      {
        statusCode: 200,
        sku: 'SKU-0',
        inventoryItem: { sku: 'SKU-0', locale: 'en_US', availability: { shipToLocationAvailability: { quantity: 0 } } },
      },
      {
        statusCode: 404,
        sku: 'SKU-zz',
        errors: [
          {
            errorId: 25702,
            domain: 'API_INVENTORY',
            category: 'REQUEST',
            message: 'SKU SKU-zz is not available in the system',
            longMessage: 'SKU SKU-zz is not available in the system',
            parameters: [{ name: 'sku', value: 'SKU-zz' }],
          },
        ],
      },
    ]);
    // A container without its total loses it (eBay: "the available quantity data will be lost").
    const lost = await raw(UPDATE, {
      requests: [
        {
          sku: 'SKU-1',
          shipToLocationAvailability: { availabilityDistributions: [{ merchantLocationKey: WH1, quantity: 3 }] },
        },
      ],
    });
    expect([lost.status, lost.data]).toEqual([200, { responses: [{ statusCode: 200, sku: 'SKU-1' }] }]);
    expect(face().availability('SKU-1')).toEqual({
      quantity: 0,
      availabilityDistributions: [{ merchantLocationKey: WH1, quantity: 3 }],
    });
  });

  test('the seeded sandbox channel 6 is configured with the face’s credentials', async () => {
    const adapter = createChannelAdapter(sandboxChannelConfigs(sandbox().urls)[6]);
    expect(adapter.descriptor).toMatchObject({ name: 'ebay', mode: 'sync', hasWarehouses: true });
    expect(results(await adapter.sendInsertedStocks([item(0, 4)], SEND))[0]).toMatchObject({ status: 'success' });
    expect(face().held('SKU-0', WH1)).toBe(4);
  });

  test('the compose sandbox profile (deploy/) configures channel 6 with its secrets by variable', async () => {
    const { channels, env } = sandboxDeployment(sandbox().url);
    const dir = mkdtempSync(join(tmpdir(), 'ebay-channels-'));
    try {
      const file = join(dir, 'channels.json');
      writeFileSync(file, JSON.stringify({ channels: channels.filter((c) => c.channelId === 6) }));
      const { channels: loaded, problems } = loadChannels(file, env);
      expect(problems).toEqual([]);
      const adapter = createChannelAdapter(loaded.get(6)!.adapter);
      expect(results(await adapter.sendUpdatedStocks([item(1, 8)], SEND))[0]).toMatchObject({ status: 'success' });
      expect(face().held('SKU-1', WH1)).toBe(8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
