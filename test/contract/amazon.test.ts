/**
 * The Amazon adapter against the sandbox's Amazon over real loopback HTTP: the LWA exchange and its cache, the four
 * calls of a JSON_LISTINGS_FEED send, getFeed's statuses and the processing report's per-SKU verdicts, the
 * searchListingsItems read, and the refusals the real API documents (credentials, headers, limits, throttling with
 * the usage plan's refill time).
 */
import axios from 'axios';
import { createChannelAdapter } from '../../src/channels/registry';
import type { ChannelAdapter } from '../../src/channels/port';
import { AuthenticationError, ClientRequestError, LimitExceededError, RateLimitedError } from '../../src/http/errors';
import { sandboxChannelConfigs } from '../../src/sandbox/connect';
import { AMAZON_SANDBOX_CREDENTIALS as SELLER } from '../../src/sandbox/faces/amazon/face';
import {
  awaitSettled,
  contractListings,
  merchantItem as item,
  remoteBatchId as feedId,
  useContractSandbox,
} from '../support/contract-sandbox';

// Budgets scaled up unless a test restores the documented ones (one feed per two minutes would set the pace).
const sandbox = useContractSandbox({ listings: contractListings(30), marketplace: { budgetScale: 1_000 } });
const face = () => sandbox().state.marketplace.amazon;

function amazon(overrides: object = {}): ChannelAdapter {
  return createChannelAdapter({
    adapter: 'amazon',
    baseURL: sandbox().urls.amazon,
    tokenURL: `${sandbox().urls.amazon}auth/o2/token`,
    ...SELLER,
    ...overrides,
  });
}

const send = { sendKey: 'amazon-test' };

const settled = (adapter: ChannelAdapter, id: string) => awaitSettled(adapter, id, { what: 'feed' });

async function done(adapter: ChannelAdapter, id: string) {
  const check = await settled(adapter, id);
  if (check.state !== 'done') throw new Error(`expected done, got ${JSON.stringify(check)}`);
  return check;
}

/** A raw SP-API client with a live token, for what the adapter never sends. */
async function raw() {
  const { data } = await axios.post(
    `${sandbox().urls.amazon}auth/o2/token`,
    new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: SELLER.refreshToken,
      client_id: SELLER.clientId,
      client_secret: SELLER.clientSecret,
    }).toString(),
    { headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' } },
  );
  return axios.create({
    baseURL: sandbox().urls.amazon,
    headers: {
      'x-amz-access-token': (data as { access_token: string }).access_token,
      'user-agent': 'test/1.0 (Language=TS)',
    },
    validateStatus: () => true,
  });
}

describe('amazon feeds', () => {
  it('sends one PATCH feed, is pending until processed, then maps every verdict back to its SKU', async () => {
    const adapter = amazon();
    const outcome = await adapter.sendUpdatedStocks([item(1, 7), item('missing', 3), item(2, 0)], send);
    const id = feedId(outcome);
    expect(outcome.exchanges.map((e) => `${e.method} ${e.status}`)).toEqual(['POST 201', 'PUT 200', 'POST 202']);
    const uploaded = JSON.parse(outcome.exchanges[1]!.requestBody) as {
      header: { sellerId: string; version: string };
      messages: { messageId: number; sku: string; operationType: string; productType: string; patches: unknown[] }[];
    };
    expect(uploaded.header).toMatchObject({ sellerId: SELLER.sellerId, version: '2.0' });
    expect(uploaded.messages.map((m) => [m.messageId, m.sku, m.operationType, m.productType])).toEqual([
      [1, 'SKU-1', 'PATCH', 'PRODUCT'],
      [2, 'SKU-missing', 'PATCH', 'PRODUCT'],
      [3, 'SKU-2', 'PATCH', 'PRODUCT'],
    ]);
    expect(uploaded.messages[0]!.patches).toEqual([
      {
        op: 'merge',
        path: '/attributes/fulfillment_availability',
        value: [{ fulfillment_channel_code: 'DEFAULT', quantity: 7 }],
      },
    ]);
    // The presigned URL's signature never enters an exchange; neither does the access token.
    expect(outcome.exchanges[1]!.url).not.toContain('X-Amz-Signature');
    expect(JSON.stringify(outcome.exchanges)).not.toContain('Atza|');

    expect((await adapter.checkBatch(id)).state).toBe('pending');
    const check = await done(adapter, id);
    expect(check.exchanges.map((e) => e.method)).toEqual(['GET', 'GET', 'GET']);
    expect([...check.results].sort((a, b) => a.remoteId.localeCompare(b.remoteId))).toEqual([
      { remoteId: 'SKU-1', status: 'success' },
      { remoteId: 'SKU-2', status: 'success' },
      { remoteId: 'SKU-missing', status: 'failed', message: expect.stringContaining('SKU_NOT_FOUND') },
    ]);
    expect(face().held('SKU-1', undefined)).toBe(7);
    expect(face().held('SKU-2', undefined)).toBe(0);
  });

  it('fails a quantity Amazon refuses and applies the rest of the feed', async () => {
    const adapter = amazon({ limits: { maxQuantity: 2 ** 32 } });
    const check = await done(adapter, feedId(await adapter.sendUpdatedStocks([item(3, 2 ** 31), item(4, 5)], send)));
    expect(check.results.find((r) => r.remoteId === 'SKU-3')).toMatchObject({
      status: 'failed',
      message: expect.stringContaining('QUANTITY_OUT_OF_RANGE'),
    });
    expect(check.results.find((r) => r.remoteId === 'SKU-4')).toEqual({ remoteId: 'SKU-4', status: 'success' });
    expect(face().held('SKU-3', undefined)).toBe(0);
    expect(face().held('SKU-4', undefined)).toBe(5);
  });

  it('applies feeds in acceptance order: a later zero is never overtaken', async () => {
    const adapter = amazon();
    const first = feedId(await adapter.sendUpdatedStocks([item(5, 40)], send));
    const second = feedId(await adapter.sendUpdatedStocks([item(5, 0)], send));
    await done(adapter, second);
    await done(adapter, first);
    expect(face().held('SKU-5', undefined)).toBe(0);
  });

  it('refuses locally what no feed could carry, and more items than one feed takes', async () => {
    const adapter = amazon();
    const outcome = await adapter.sendUpdatedStocks([{ ...item(6, -1) }], send);
    expect(outcome).toEqual({
      mode: 'sync',
      results: [{ remoteId: 'SKU-6', sku: 'SKU-6', status: 'failed', message: expect.stringContaining('-1') }],
      exchanges: [],
    });
    const tooMany = Array.from({ length: 25_001 }, (_, i) => item(i, 1));
    await expect(adapter.sendUpdatedStocks(tooMany, send)).rejects.toBeInstanceOf(LimitExceededError);
  });

  it('fails the batch when Amazon refuses the feed as a whole (over 25,000 messages: FATAL)', async () => {
    const adapter = amazon({ limits: { itemsPerRequest: 30_000 } });
    const id = feedId(
      await adapter.sendUpdatedStocks(
        Array.from({ length: 25_001 }, (_, i) => item(i, 1)),
        send,
      ),
    );
    const check = await settled(adapter, id);
    expect(check).toMatchObject({ state: 'expired', reason: expect.stringContaining('at most 25000 messages') });
    expect(face().held('SKU-0', undefined)).toBe(0);
  });

  it('answers expired for a feed Amazon does not know and for a FATAL feed without a report', async () => {
    const adapter = amazon();
    await expect(adapter.checkBatch('99999999')).resolves.toMatchObject({ state: 'expired' });

    const api = await raw();
    const document = await api.post('feeds/2021-06-30/documents', { contentType: 'application/json; charset=UTF-8' });
    const created = await api.post('feeds/2021-06-30/feeds', {
      feedType: 'JSON_LISTINGS_FEED',
      marketplaceIds: [SELLER.marketplaceId],
      inputFeedDocumentId: (document.data as { feedDocumentId: string }).feedDocumentId,
    });
    expect(created.status).toBe(202);
    const check = await settled(adapter, (created.data as { feedId: string }).feedId);
    expect(check).toMatchObject({
      state: 'expired',
      reason: expect.stringContaining('FATAL without a processing report'),
    });
  });
});

describe('amazon credentials', () => {
  it('exchanges the refresh token once and reuses the access token until shortly before it expires', async () => {
    const adapter = amazon();
    await Promise.all([adapter.readQuantities([item(1, 0)]), adapter.readQuantities([item(2, 0)])]);
    await adapter.sendUpdatedStocks([item(1, 1)], send);
    expect(face().tokens.issued).toBe(1);

    // A token with no more than the 60 s margin left is never used: every call exchanges again.
    face().tokenLifetimeSeconds = 60;
    const short = amazon();
    await short.readQuantities([item(1, 0)]);
    await short.readQuantities([item(1, 0)]);
    expect(face().tokens.issued).toBe(3);
  });

  it('replaces a revoked token once and goes on', async () => {
    const adapter = amazon();
    await adapter.readQuantities([item(1, 0)]);
    face().tokens.revoke();
    await expect(adapter.readQuantities([item(1, 0)])).resolves.toEqual([{ remoteId: 'SKU-1', quantity: 0 }]);
    expect(face().tokens.issued).toBe(2);
  });

  it.each([
    ['refresh token', { refreshToken: 'Atzr|wrong' }, 'invalid_grant'],
    ['client secret', { clientSecret: 'wrong-secret' }, 'invalid_client'],
  ])('refuses a wrong %s as an AuthenticationError that names no secret', async (_what, wrong, code) => {
    const failure = await amazon(wrong)
      .readQuantities([item(1, 0)])
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(AuthenticationError);
    expect((failure as Error).message).toContain(code);
    expect((failure as Error).message).not.toContain('wrong');
    expect(face().tokens.issued).toBe(0);
  });

  it('answers 403 Unauthorized without a valid token and 400 for an over-long user-agent', async () => {
    const api = await raw();
    const missing = await api.get('feeds/2021-06-30/feeds/70001', { headers: { 'x-amz-access-token': '' } });
    expect(missing.status).toBe(403);
    expect(missing.data).toEqual({
      errors: [
        {
          code: 'Unauthorized',
          message: 'Access to requested resource is denied.',
          details: 'Access token is missing in the request header.',
        },
      ],
    });
    const bogus = await api.get('feeds/2021-06-30/feeds/70001', { headers: { 'x-amz-access-token': 'Atza|bogus' } });
    expect(bogus.status).toBe(403);
    const agent = await api.get('feeds/2021-06-30/feeds/70001', {
      headers: { 'user-agent': `x/1 (${'a'.repeat(500)})` },
    });
    expect(agent.status).toBe(400);
  });
});

describe('amazon refusals', () => {
  it('refuses a malformed createFeed and an upload under another content type', async () => {
    const api = await raw();
    const noType = await api.post('feeds/2021-06-30/feeds', { marketplaceIds: [SELLER.marketplaceId] });
    expect(noType.status).toBe(400);
    expect(noType.headers['x-amzn-ratelimit-limit']).toBeDefined();
    const document = await api.post('feeds/2021-06-30/documents', { contentType: 'application/json; charset=UTF-8' });
    const upload = await axios.put((document.data as { url: string }).url, '{}', {
      headers: { 'Content-Type': 'text/plain' },
      validateStatus: () => true,
    });
    expect(upload.status).toBe(403);
    expect(String(upload.data)).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('throttles createFeed by the JSON_LISTINGS_FEED plan: a RateLimitedError waiting one refill of the bucket', async () => {
    sandbox().state.marketplace.setOptions({ budgetScale: 1 });
    const adapter = amazon();
    for (let i = 0; i < 5; i++) await adapter.sendUpdatedStocks([item(i, i)], send);
    const throttled = await adapter.sendUpdatedStocks([item(9, 9)], send).catch((err: unknown) => err);
    expect(throttled).toBeInstanceOf(RateLimitedError);
    // createFeed's documented 0.0083 requests a second, reported in x-amzn-RateLimit-Limit: about 120 s.
    expect((throttled as RateLimitedError).retryAfterMs).toBe(Math.ceil(1000 / 0.0083));
    expect((throttled as RateLimitedError).serverMessage).toContain('QuotaExceeded');
  });

  it('takes the rate Amazon reports for the account in x-amzn-RateLimit-Limit as the wait', async () => {
    sandbox().state.marketplace.setOptions({ budgetScale: 10 });
    const adapter = amazon();
    const throttled = await (async () => {
      for (let i = 0; i < 100; i++) await adapter.readQuantities([item(1, 0)]);
    })().catch((err: unknown) => err);
    expect(throttled).toBeInstanceOf(RateLimitedError);
    // searchListingsItems at 5/s scaled by 10: 50/s, so 20 ms.
    expect((throttled as RateLimitedError).retryAfterMs).toBe(20);
  });
});

describe('amazon read port', () => {
  it('reads the DEFAULT quantity of listed SKUs in order; an unknown SKU is null', async () => {
    face().hold('SKU-7', undefined, 12);
    const adapter = amazon();
    await expect(adapter.readQuantities([item(7, 0), item('nope', 0), item(8, 0)])).resolves.toEqual([
      { remoteId: 'SKU-7', quantity: 12 },
      { remoteId: 'SKU-nope', quantity: null },
      { remoteId: 'SKU-8', quantity: 0 },
    ]);
  });

  it('is what the seeded sandbox channel 5 is configured with', async () => {
    face().hold('SKU-9', undefined, 4);
    const seeded = createChannelAdapter(sandboxChannelConfigs(sandbox().urls)[5]);
    await expect(seeded.readQuantities([item(9, 0)])).resolves.toEqual([{ remoteId: 'SKU-9', quantity: 4 }]);
  });

  it('reads back what a feed set, and refuses more than 20 SKUs a read', async () => {
    const adapter = amazon();
    await done(adapter, feedId(await adapter.sendUpdatedStocks([item(10, 33)], send)));
    await expect(adapter.readQuantities([item(10, 0)])).resolves.toEqual([{ remoteId: 'SKU-10', quantity: 33 }]);
    const many = Array.from({ length: 21 }, (_, i) => item(i, 0));
    await expect(adapter.readQuantities(many)).rejects.toBeInstanceOf(LimitExceededError);
    await expect(amazon({ limits: { readItemsPerRequest: 21 } }).readQuantities(many)).rejects.toBeInstanceOf(
      ClientRequestError,
    );
  });
});
