/** Small HTTP pieces shared by the sandbox's Whippy Ware and Omnitron faces: errors as answers, paging links, tokens. */
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Thrown by the state; the face turns it into `status` + `body` exactly (DRF-shaped bodies). */
export class SandboxHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(JSON.stringify(body));
  }
}

export const badRequest = (body: Record<string, unknown>) => new SandboxHttpError(400, body);
export const notFound = () => new SandboxHttpError(404, { detail: 'Not found.' });

/** Answers SandboxHttpErrors as thrown, fastify's own 4xx as DRF-ish `{detail}`, anything else as a plain 500. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof SandboxHttpError) return reply.code(err.status).send(err.body);
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    return reply.code(status).send({ detail: status >= 500 ? 'Internal server error.' : (err as Error).message });
  });
}

/** Requires `Authorization: Token <one of tokens>`, answering DRF's 401 otherwise. */
export function requireToken(
  app: FastifyInstance,
  isValid: (token: string) => boolean,
  skip?: (url: string) => boolean,
) {
  app.addHook('preHandler', async (request, reply) => {
    if (skip?.(request.url)) return;
    const match = /^Token (\S+)$/.exec(request.headers.authorization ?? '');
    if (!match?.[1] || !isValid(match[1])) {
      await reply
        .code(401)
        .send({ detail: match ? 'Invalid token.' : 'Authentication credentials were not provided.' });
    }
  });
}

export type Query = Record<string, string | string[] | undefined>;

/** Last value of a (possibly repeated) query parameter. */
export function single(query: Query, key: string): string | undefined {
  const value = query[key];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** Every value of a repeated parameter, comma lists split too (`status=a&status=b`, `pk__in=1,2`). */
export function many(query: Query, key: string): string[] | undefined {
  const value = query[key];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).filter((v) => v !== '');
}

export function intParam(query: Query, key: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = single(query, key);
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw badRequest({ [key]: ['A valid positive integer is required.'] });
  return Math.min(value, max);
}

export interface Paging {
  page: number;
  limit: number;
  offset: number;
}

export function paging(query: Query, defaultLimit: number, maxLimit: number): Paging {
  const page = intParam(query, 'page', 1);
  const limit = intParam(query, 'limit', defaultLimit, maxLimit);
  return { page, limit, offset: (page - 1) * limit };
}

/** DRF `next`/`previous`: the request's own URL with another `page`. */
export function pageLinks(request: FastifyRequest, p: Paging, hasNext: boolean) {
  const link = (page: number) => {
    const url = new URL(request.url, `${request.protocol}://${request.host}`);
    url.searchParams.set('page', String(page));
    return url.toString();
  };
  return { next: hasNext ? link(p.page + 1) : null, previous: p.page > 1 ? link(p.page - 1) : null };
}

/**
 * A deterministic value in [0, 1) for (seed, n): per-index hashing (murmur3's finaliser) rather than a stream, so the
 * n-th SKU's seeded stock never depends on how many values were drawn before it.
 */
export function hashUnit(seed: number, n: number): number {
  let h = Math.imul((seed ^ Math.imul(n, 0x9e3779b1)) >>> 0, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/**
 * The fields a PATCH-like body really names. zod fills `.default()`s even under `.partial()`, which would silently
 * reset every setting the caller left out; control endpoints change only what they are given.
 */
export function onlyGiven<T extends object>(parsed: T, raw: unknown): Partial<T> {
  const given = new Set(raw && typeof raw === 'object' ? Object.keys(raw) : []);
  return Object.fromEntries(Object.entries(parsed).filter(([key]) => given.has(key))) as Partial<T>;
}
