/**
 * The Selling Partner API as the adapter calls it: every call carries a Login with Amazon access token
 * (`x-amz-access-token`, exchanged from the refresh token and cached), a `user-agent` naming the application (which
 * Amazon requires) and `x-amz-date`. Throttling is a bare 429 (no Retry-After, no rate header), so the delay of a
 * RateLimitedError is one token's refill time of the operation's bucket: the rate Amazon last reported in
 * `x-amzn-RateLimit-Limit` for that operation, else its documented default.
 */
import type { AxiosInstance } from 'axios';
import { createHttpClient } from '../../http/client';
import { RateLimitedError } from '../../http/errors';
import { CachedToken, callJson, exchangeRefreshToken, type JsonExchange, withAccessToken } from '../base';

export type SpOperation = 'createFeedDocument' | 'createFeed' | 'getFeed' | 'getFeedDocument' | 'searchListingsItems';

/** Documented default rates (requests per second) of the Feeds API and searchListingsItems usage plans. */
export const SP_API_DEFAULT_RATES: Readonly<Record<SpOperation, number>> = {
  createFeedDocument: 0.5,
  createFeed: 0.0083,
  getFeed: 2,
  getFeedDocument: 0.0222,
  searchListingsItems: 5,
};

/** "AppId/AppVersion (Language=...)", the minimal form Amazon documents; at most 500 characters. */
const USER_AGENT = `stockflow/0.1.0 (Language=TypeScript; Platform=Node.js/${process.versions.node})`;

/** Like Amazon's own LWA client: a token is not used in its last minute. */
const TOKEN_MARGIN_MS = 60_000;

export interface SpApiOptions {
  baseURL: string;
  timeoutMs?: number;
  tokenURL: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  rates?: Partial<Record<SpOperation, number>>;
}

export interface SpRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  what: string;
  answered?: readonly number[];
}

export class SpApi {
  private readonly http: AxiosInstance;
  private readonly token: CachedToken;
  private readonly rates: Map<SpOperation, number>;

  constructor(options: SpApiOptions) {
    this.http = createHttpClient({
      api: 'amazon',
      baseURL: options.baseURL,
      timeoutMs: options.timeoutMs,
      headers: { 'User-Agent': USER_AGENT },
    });
    this.rates = new Map(Object.entries({ ...SP_API_DEFAULT_RATES, ...options.rates }) as [SpOperation, number][]);
    const tokenURL = new URL(options.tokenURL);
    const lwa = createHttpClient({ api: 'amazon-lwa', baseURL: tokenURL.origin, timeoutMs: options.timeoutMs });
    this.token = new CachedToken(
      () =>
        exchangeRefreshToken(lwa, {
          path: tokenURL.pathname.slice(1),
          fields: {
            grant_type: 'refresh_token',
            refresh_token: options.refreshToken,
            client_id: options.clientId,
            client_secret: options.clientSecret,
          },
          what: 'amazon LWA token',
        }),
      TOKEN_MARGIN_MS,
    );
  }

  /**
   * One call. A 403 on a cached token is answered once more with a fresh token (Amazon may revoke a token before its
   * expiry); a 403 on a fresh token is thrown (the credentials lack the access).
   */
  async call(operation: SpOperation, request: SpRequest): Promise<JsonExchange> {
    try {
      const answer = await withAccessToken(this.token, (token) =>
        callJson(this.http, {
          ...request,
          headers: { 'x-amz-access-token': token, 'x-amz-date': amzDate(new Date()) },
        }),
      );
      this.learnRate(operation, answer.headers['x-amzn-ratelimit-limit']);
      return answer;
    } catch (err) {
      if (err instanceof RateLimitedError) throw new RateLimitedError(err, this.refillMs(operation));
      throw err;
    }
  }

  /** How long until the operation's bucket holds one token again, at its known rate. */
  refillMs(operation: SpOperation): number {
    return Math.ceil(1000 / (this.rates.get(operation) ?? SP_API_DEFAULT_RATES[operation]));
  }

  /** The header is best effort ("check for the presence of the header before attempting to use the rate limit"). */
  private learnRate(operation: SpOperation, header: unknown): void {
    const rate = Number(header);
    if (typeof header === 'string' && Number.isFinite(rate) && rate > 0) this.rates.set(operation, rate);
  }
}

/** ISO 8601 basic format, as Amazon's examples show it: 20190430T123600Z. */
function amzDate(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
