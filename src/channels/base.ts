/**
 * What every channel adapter shares: the item-count guard, local refusal of items no channel can accept, and the one
 * way to make an HTTP call that yields both the parsed body and the {@link ChannelExchange} for error reports.
 */
import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import {
  AuthenticationError,
  ClientRequestError,
  type HttpErrorDetails,
  LimitExceededError,
  parseResponse,
  ResponseValidationError,
} from '../http/errors';
import type {
  BatchCheck,
  ChannelAdapter,
  ChannelDescriptor,
  ChannelExchange,
  ChannelItem,
  HeldQuantity,
  ItemResult,
  SendContext,
  SendOutcome,
} from './port';

export abstract class BaseChannelAdapter implements ChannelAdapter {
  constructor(readonly descriptor: ChannelDescriptor) {}

  /** Both marketplaces set absolute quantities, so an insert is sent exactly like an update. */
  sendUpdatedStocks(items: readonly ChannelItem[], context: SendContext): Promise<SendOutcome> {
    return this.sendChecked(items, context);
  }

  sendInsertedStocks(items: readonly ChannelItem[], context: SendContext): Promise<SendOutcome> {
    return this.sendChecked(items, context);
  }

  abstract checkBatch(remoteBatchId: string): Promise<BatchCheck>;

  abstract readQuantities(items: readonly Pick<ChannelItem, 'remoteId' | 'warehouseCode'>[]): Promise<HeldQuantity[]>;

  /** Sends items that passed {@link refusal}; `refused` are already failed and belong in the outcome. */
  protected abstract send(
    items: readonly ChannelItem[],
    refused: ItemResult[],
    context: SendContext,
  ): Promise<SendOutcome>;

  /**
   * Why an item can never be accepted by the channel, or undefined. Only what no channel configuration could accept
   * (a negative or fractional quantity, no remote id) is refused here; everything else, the quantity ceiling
   * included, is left to the channel, whose per-item verdict is the truth Omnitron should see.
   */
  protected refusal(item: ChannelItem): string | undefined {
    if (!item.remoteId) return 'no remote id: the product has no id on this channel';
    if (!Number.isInteger(item.quantity) || item.quantity < 0) {
      return `quantity ${item.quantity} is not a non-negative integer`;
    }
    return undefined;
  }

  /**
   * More items than one request takes is a caller bug (it must chunk by the limits), not a condition a retry mends:
   * a non-retryable {@link LimitExceededError}.
   */
  protected refuseOverLimit(count: number, operation: 'send' | 'read'): void {
    const { itemsPerRequest, readItemsPerRequest } = this.descriptor.limits;
    const max = operation === 'send' ? itemsPerRequest : readItemsPerRequest;
    if (count > max) {
      throw new LimitExceededError(
        `${this.descriptor.name}: ${count} items in one ${operation}, at most ${max} allowed`,
      );
    }
  }

  private async sendChecked(items: readonly ChannelItem[], context: SendContext): Promise<SendOutcome> {
    this.refuseOverLimit(items.length, 'send');
    const valid: ChannelItem[] = [];
    const refused: ItemResult[] = [];
    for (const item of items) {
      const reason = this.refusal(item);
      if (reason === undefined) valid.push(item);
      else refused.push(failedResult(item, reason));
    }
    if (valid.length === 0) return { mode: 'sync', results: refused, exchanges: [] };
    return this.send(valid, refused, context);
  }
}

export function failedResult(item: ChannelItem, message: string): ItemResult {
  return {
    remoteId: item.remoteId,
    sku: item.sku,
    ...(item.warehouseCode === undefined ? {} : { warehouseCode: item.warehouseCode }),
    status: 'failed',
    message,
  };
}

export interface JsonExchange {
  data: unknown;
  exchange: ChannelExchange;
  /** The response's headers (lower-case names), for what a channel signals there (e.g. its rate limits). */
  headers: Readonly<Record<string, unknown>>;
}

/**
 * One JSON call on a client from createHttpClient (so failures are already mapped). The body is serialised here and
 * the response read as text, so the exchange holds exactly the bytes that went over the wire.
 */
export async function callJson(
  http: AxiosInstance,
  request: {
    method: 'GET' | 'POST';
    path: string;
    body?: unknown;
    what: string;
    /** Non-2xx statuses the caller reads as an answer (exchange.status; data undefined unless JSON), not thrown. */
    answered?: readonly number[];
    /** Per-call headers (e.g. a short-lived access token); like every header, never copied into the exchange. */
    headers?: Record<string, string>;
  },
): Promise<JsonExchange> {
  const requestBody = request.body === undefined ? '' : JSON.stringify(request.body);
  const answered = request.answered ?? [];
  const response = await http.request<string>({
    method: request.method,
    url: request.path,
    data: request.body === undefined ? undefined : requestBody,
    headers: { ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...request.headers },
    responseType: 'text',
    validateStatus: (status) => (status >= 200 && status < 300) || answered.includes(status),
  });
  const responseBody = typeof response.data === 'string' ? response.data : JSON.stringify(response.data);
  const exchange: ChannelExchange = {
    method: request.method,
    url: http.getUri({ url: request.path }),
    requestBody,
    status: response.status,
    responseBody,
  };
  const headers = { ...response.headers } as Record<string, unknown>;
  try {
    return { data: JSON.parse(responseBody) as unknown, exchange, headers };
  } catch {
    if (answered.includes(response.status)) return { data: undefined, exchange, headers };
    throw new ResponseValidationError(request.what, [{ path: '', message: 'body is not JSON' }]);
  }
}

/**
 * The error details of a call the channel answered with a refusal in its body (HTTP 200 with GraphQL errors, a 207
 * entry, an answered 429), for the error hierarchy: which API, method, path and status — never a header.
 */
export function exchangeErrorDetails(api: string, exchange: ChannelExchange): HttpErrorDetails {
  return { api, method: exchange.method, path: new URL(exchange.url).pathname, status: exchange.status };
}

/** The OAuth 2 token answer (RFC 6749 §5.1): only what caching the token needs. */
const oauthToken = z.object({ access_token: z.string().min(1), expires_in: z.number().positive() });

/**
 * One OAuth 2 refresh-token exchange (a form-encoded POST, e.g. Amazon's LWA, eBay's identity endpoint) on a client
 * from createHttpClient. A refused exchange (400 `invalid_grant`, `invalid_client`, `invalid_scope`, …) means the
 * credentials are wrong: an {@link AuthenticationError}. No {@link ChannelExchange} is made: the body carries the
 * secrets, so this call never enters an error report.
 */
export async function exchangeRefreshToken(
  http: AxiosInstance,
  request: {
    path: string;
    fields: Record<string, string>;
    what: string;
    /** E.g. the client's HTTP Basic credentials (eBay); like the body, never copied anywhere. */
    headers?: Record<string, string>;
  },
): Promise<{ token: string; expiresInMs: number }> {
  const response = await http
    .post<unknown>(request.path, new URLSearchParams(request.fields).toString(), {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8', ...request.headers },
    })
    .catch((err: unknown) => {
      if (err instanceof ClientRequestError && !(err instanceof AuthenticationError))
        throw new AuthenticationError(err);
      throw err;
    });
  const token = parseResponse(oauthToken, response.data, request.what);
  return { token: token.access_token, expiresInMs: token.expires_in * 1000 };
}

/**
 * An access token from a token exchange, kept until `marginMs` before it expires; callers arriving while an exchange
 * runs share it (one exchange in flight). The token lives in memory only.
 */
export class CachedToken {
  private current?: { token: string; expiresAt: number };
  private inFlight?: Promise<string>;

  constructor(
    private readonly exchange: () => Promise<{ token: string; expiresInMs: number }>,
    private readonly marginMs = 60_000,
  ) {}

  /** The token to use, and whether it comes from an exchange made for this call (`fresh`) rather than the cache. */
  async get(): Promise<{ token: string; fresh: boolean }> {
    if (this.current && Date.now() < this.current.expiresAt - this.marginMs) {
      return { token: this.current.token, fresh: false };
    }
    this.inFlight ??= this.exchange()
      .then(({ token, expiresInMs }) => {
        this.current = { token, expiresAt: Date.now() + expiresInMs };
        return token;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return { token: await this.inFlight, fresh: true };
  }

  /** Forgets `token` (refused although unexpired: revoked); a newer one already cached is kept. */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }
}

/**
 * Runs `call` with the cached access token. A cached token refused as unauthenticated (revoked before its expiry) is
 * dropped and the call made once more with a freshly exchanged one; a fresh token refused is thrown: the credentials
 * themselves are wrong.
 */
export async function withAccessToken<T>(token: CachedToken, call: (accessToken: string) => Promise<T>): Promise<T> {
  const first = await token.get();
  try {
    return await call(first.token);
  } catch (err) {
    if (!(err instanceof AuthenticationError) || first.fresh) throw err;
    token.invalidate(first.token);
    return call((await token.get()).token);
  }
}
