/**
 * The one HTTP-outcome -> error mapper, exercised over real sockets: a loopback server answers with each status (or not
 * at all) and the client built by createHttpClient must classify it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createHttpClient } from '../../src/http/client';
import {
  AuthenticationError,
  ClientRequestError,
  NetworkError,
  RateLimitedError,
  ResponseValidationError,
  ServerError,
  parseResponse,
  parseRetryAfter,
  type StockflowError,
} from '../../src/http/errors';

let server: Server;
let baseURL: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const status = Number(url.searchParams.get('status') ?? 200);
    if (url.pathname.endsWith('/hang')) return; // never answers: the client's timeout must fire
    if (url.pathname.endsWith('/reset')) return req.socket.destroy();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const retryAfter = url.searchParams.get('retryAfter');
    if (retryAfter) headers['retry-after'] = retryAfter;
    res.writeHead(status, headers);
    res.end(JSON.stringify(status >= 400 ? { detail: `server says ${status}` } : { ok: true }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failureOf(path: string, timeoutMs = 2_000): Promise<StockflowError> {
  const http = createHttpClient({ api: 'test', baseURL, timeoutMs, headers: { Authorization: 'Token s3cret-token' } });
  try {
    await http.get(path);
  } catch (err) {
    return err as StockflowError;
  }
  throw new Error(`expected ${path} to fail`);
}

describe('mapHttpError over real sockets', () => {
  test('429 is retryable and carries Retry-After in ms', async () => {
    const err = await failureOf('stocks/?status=429&retryAfter=7');
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.retryable).toBe(true);
    expect((err as RateLimitedError).retryAfterMs).toBe(7_000);
  });

  test('429 without Retry-After waits a default second', async () => {
    const err = (await failureOf('stocks/?status=429')) as RateLimitedError;
    expect(err.retryAfterMs).toBe(1_000);
  });

  test.each([500, 502, 503, 504])('%i is a retryable ServerError', async (status) => {
    const err = await failureOf(`stocks/?status=${status}`);
    expect(err).toBeInstanceOf(ServerError);
    expect(err.retryable).toBe(true);
    expect((err as ServerError).status).toBe(status);
  });

  test.each([400, 404, 409, 422])(
    '%i is a non-retryable ClientRequestError with the server message',
    async (status) => {
      const err = await failureOf(`stocks/?status=${status}`);
      expect(err).toBeInstanceOf(ClientRequestError);
      expect(err.retryable).toBe(false);
      expect(err.message).toBe(`test GET /api/v1/stocks/: rejected (${status}): {"detail":"server says ${status}"}`);
    },
  );

  test('401 and 403 are AuthenticationErrors, and no credential leaks into the error', async () => {
    for (const status of [401, 403]) {
      const err = await failureOf(`stocks/?status=${status}`);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(err.retryable).toBe(false);
      expect(JSON.stringify({ ...err, message: err.message })).not.toContain('s3cret-token');
    }
  });

  test('a timeout is a retryable NetworkError marked timedOut', async () => {
    const err = await failureOf('hang', 200);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.retryable).toBe(true);
    expect((err as NetworkError).timedOut).toBe(true);
  });

  test('a dropped connection is a retryable NetworkError, not a timeout', async () => {
    const err = await failureOf('reset');
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).timedOut).toBe(false);
    expect((err as NetworkError).code).toBe('ECONNRESET');
  });

  test('the query string never reaches the error message', async () => {
    const err = await failureOf('stocks/?status=400&sku=SECRET-SKU');
    expect(err.message).not.toContain('SECRET-SKU');
  });
});

describe('parseResponse', () => {
  const page = z.object({ count: z.number(), results: z.array(z.object({ pk: z.number(), stock: z.number() })) });

  test('names each offending field by its path', () => {
    expect(() =>
      parseResponse(
        page,
        {
          count: 2,
          results: [
            { pk: 1, stock: 3 },
            { pk: 2, stock: 'n/a' },
          ],
        },
        'stocks',
      ),
    ).toThrow(
      new ResponseValidationError('stocks', [
        { path: 'results[1].stock', message: 'Invalid input: expected number, received string' },
      ]),
    );
  });

  test('returns the parsed body when it fits', () => {
    expect(parseResponse(page, { count: 0, results: [], extra: 1 }, 'stocks')).toEqual({ count: 0, results: [] });
  });
});

describe('parseRetryAfter', () => {
  test('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3_000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
