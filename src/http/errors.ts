/**
 * One error hierarchy for every external API (Omnitron, Whippy Ware, marketplaces) and the one place that turns an HTTP
 * outcome into an error. Clients never retry: they throw these, and activities translate them into Temporal
 * ApplicationFailures whose retry behaviour follows `retryable` / `retryAfterMs` (Temporal's retry is the one layer).
 *
 * Errors carry the method, the path (no query string: it may carry filters with customer data, never credentials) and
 * the server's message. Request headers (tokens, Basic auth) are never copied into an error.
 */
import { type AxiosError, isAxiosError } from 'axios';
import type { z } from 'zod';
import { issueEntries } from '../../workflows/issues';

/** Stable names, also used as Temporal ApplicationFailure `type`s. */
export type StockflowErrorType =
  | 'RateLimited'
  | 'ServerError'
  | 'NetworkError'
  | 'TransientError'
  | 'ClientRequestError'
  | 'AuthenticationError'
  | 'ResponseValidationError'
  | 'LimitExceededError';

export abstract class StockflowError extends Error {
  abstract readonly type: StockflowErrorType;
  /** Whether trying the same call again later can succeed. */
  abstract readonly retryable: boolean;
}

export interface HttpErrorDetails {
  /** Which API answered, e.g. "omnitron", "whippy", "trendyol". */
  api: string;
  method: string;
  path: string;
  status?: number;
  /** The server's own message (DRF `detail`, field errors, marketplace `errors`), truncated. */
  serverMessage?: string;
}

export abstract class HttpError extends StockflowError {
  readonly api: string;
  readonly method: string;
  readonly path: string;
  readonly status?: number;
  readonly serverMessage?: string;

  constructor(details: HttpErrorDetails, summary: string) {
    const where = `${details.api} ${details.method} ${details.path}`;
    super(`${where}: ${summary}${details.serverMessage ? `: ${details.serverMessage}` : ''}`);
    this.name = new.target.name;
    this.api = details.api;
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.serverMessage = details.serverMessage;
  }
}

/** 429: retry after exactly `retryAfterMs` (from Retry-After; 1 s when the server gave none). */
export class RateLimitedError extends HttpError {
  readonly type = 'RateLimited';
  readonly retryable = true;
  constructor(
    details: HttpErrorDetails,
    readonly retryAfterMs: number,
  ) {
    super(details, `rate limited (429), retry after ${retryAfterMs} ms`);
  }
}

/** 5xx: the server failed; the same request may succeed later. */
export class ServerError extends HttpError {
  readonly type = 'ServerError';
  readonly retryable = true;
  constructor(details: HttpErrorDetails) {
    super(details, `server error (${details.status})`);
  }
}

/** No HTTP answer at all: refused, reset, DNS, or the client's timeout. */
export class NetworkError extends HttpError {
  readonly type = 'NetworkError';
  readonly retryable = true;
  constructor(
    details: HttpErrorDetails,
    readonly code: string,
    readonly timedOut: boolean,
  ) {
    super(details, timedOut ? `timed out (${code})` : `connection failed (${code})`);
  }
}

/**
 * A 2xx in which the server refuses the call for a passing reason it names (Shopify's userError
 * IDEMPOTENCY_CONCURRENT_REQUEST: the same request is still in progress); the same call may succeed later.
 */
export class TransientError extends HttpError {
  readonly type = 'TransientError';
  readonly retryable = true;
  constructor(details: HttpErrorDetails) {
    super(details, 'refused for now, retry later');
  }
}

/** Other 4xx: the request itself is wrong; sending it again cannot help. */
export class ClientRequestError extends HttpError {
  readonly type: StockflowErrorType = 'ClientRequestError';
  readonly retryable = false;
  constructor(details: HttpErrorDetails) {
    super(details, `rejected (${details.status})`);
  }
}

/** 401/403 that survived a fresh login: credentials or permissions are wrong. */
export class AuthenticationError extends ClientRequestError {
  override readonly type = 'AuthenticationError';
}

/** A 2xx whose body does not have the documented shape; names every offending field. */
export class ResponseValidationError extends StockflowError {
  readonly type = 'ResponseValidationError';
  readonly retryable = false;
  constructor(
    readonly what: string,
    readonly fields: { path: string; message: string }[],
  ) {
    super(`${what}: unexpected response: ${fields.map((f) => `${f.path || '(body)'}: ${f.message}`).join('; ')}`);
    this.name = 'ResponseValidationError';
  }
}

/** A call the caller should never have made: more items than one request of that API takes. Retrying cannot help. */
export class LimitExceededError extends StockflowError {
  readonly type = 'LimitExceededError';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'LimitExceededError';
  }
}

/** Validates a response body; a mismatch is a {@link ResponseValidationError} naming the fields, never a crash later. */
export function parseResponse<S extends z.ZodType>(schema: S, data: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new ResponseValidationError(what, issueEntries(parsed.error).slice(0, 10));
}

/** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * `X-RateLimit-Reset`, for APIs that signal throttling with it instead of Retry-After (Hepsiburada: seconds until the
 * window renews). Some APIs send an epoch time in seconds instead; a value that large is read as one.
 */
export function parseRateLimitReset(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  const seconds = Number(text);
  return seconds > 1e9 ? Math.max(0, Math.round(seconds * 1000 - now)) : Math.round(seconds * 1000);
}

function serverMessageOf(data: unknown): string | undefined {
  if (data === undefined || data === null || data === '') return undefined;
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

/**
 * THE mapper: any failure of an HTTP call -> a {@link StockflowError}. Errors that are already ours pass through;
 * anything unknown is treated as a network failure (retryable), the safe side for an idempotent-by-design flow.
 */
export function mapHttpError(err: unknown, api: string): StockflowError {
  if (err instanceof StockflowError) return err;
  if (!isAxiosError(err)) {
    return new NetworkError({ api, method: '?', path: '?' }, 'UNKNOWN', false);
  }
  const axiosErr: AxiosError = err;
  const details: HttpErrorDetails = {
    api,
    method: (axiosErr.config?.method ?? 'GET').toUpperCase(),
    path: requestPath(axiosErr),
    status: axiosErr.response?.status,
    serverMessage: serverMessageOf(axiosErr.response?.data),
  };
  const status = axiosErr.response?.status;
  if (status === undefined) {
    const code = axiosErr.code ?? 'ECONNERROR';
    return new NetworkError(details, code, TIMEOUT_CODES.has(code));
  }
  if (status === 429) {
    const headers = axiosErr.response?.headers ?? {};
    const delay = parseRetryAfter(headers['retry-after']) ?? parseRateLimitReset(headers['x-ratelimit-reset']);
    return new RateLimitedError(details, delay ?? 1_000);
  }
  if (status >= 500) return new ServerError(details);
  if (status === 401 || status === 403) return new AuthenticationError(details);
  return new ClientRequestError(details);
}

function requestPath(err: AxiosError): string {
  const url = err.config?.url ?? '';
  const base = err.config?.baseURL ?? '';
  try {
    return new URL(url, base || undefined).pathname;
  } catch {
    return url.split('?')[0] ?? url;
  }
}
