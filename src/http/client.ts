/**
 * The axios instance every external-API client is built on: keep-alive sockets, a timeout, no retries (Temporal
 * retries), and every failure mapped once by {@link mapHttpError}.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { mapHttpError } from './errors';

export interface HttpClientOptions {
  /** Name used in errors ("omnitron", "whippy", "trendyol", ...). */
  api: string;
  baseURL: string;
  /** Per-request timeout; a timeout becomes a retryable NetworkError. Default 30 s. */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64 });

const abortScope = new AsyncLocalStorage<AbortSignal | undefined>();

/**
 * Every request any client makes inside `fn` is aborted when `signal` fires (an activity's cancellation), so a
 * cancelled activity stops at its next call instead of finishing its work; `undefined` shields a step that must
 * finish once begun (a page on its way to the marketplace and the bookkeeping of its answer).
 */
export function abortableRequests<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  return abortScope.run(signal, fn);
}

export function createHttpClient(options: HttpClientOptions): AxiosInstance {
  const instance = axios.create({
    baseURL: options.baseURL.endsWith('/') ? options.baseURL : `${options.baseURL}/`,
    timeout: options.timeoutMs ?? 30_000,
    headers: { Accept: 'application/json', ...options.headers },
    httpAgent,
    httpsAgent,
    // DRF-style repeated keys (`status=a&status=b`) for array params.
    paramsSerializer: { indexes: null },
    maxContentLength: 256 * 1024 * 1024,
  });
  instance.interceptors.request.use((config) => {
    const signal = abortScope.getStore();
    if (signal && !config.signal) config.signal = signal;
    return config;
  });
  instance.interceptors.response.use(undefined, (err: unknown) => Promise.reject(mapHttpError(err, options.api)));
  return instance;
}
