/**
 * Fault injection and request-rate limiting for the sandbox, per face. Set through `PUT /control/faults/<face>`.
 * Randomness comes from a seeded generator so a chaos run with the same seed injects the same faults.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { hashUnit } from './http-helpers';

export const FACES = ['omnitron', 'whippy', 'marketplace'] as const;
export type Face = (typeof FACES)[number];

/** Bounded like every control body (a 400 names the limit): a typo must not hold the sandbox for hours. */
export const faultConfigSchema = z.object({
  /** Share of requests answered 503. */
  errorRate: z.number().min(0).max(1).default(0),
  /** Share of requests answered 429 with Retry-After. */
  rateLimitRate: z.number().min(0).max(1).default(0),
  /** Retry-After (seconds) on injected and rate-limit 429s. */
  retryAfterSeconds: z.number().min(0).max(3_600, 'at most 3600 seconds').default(1),
  /** Added to every request. */
  latencyMs: z.number().int().min(0).max(60_000, 'at most 60000 ms').default(0),
  /** Share of requests that never get an answer (the connection is held, then dropped). */
  timeoutRate: z.number().min(0).max(1).default(0),
  /** How long a "timed out" request is held before its socket is destroyed. */
  timeoutHoldMs: z.number().int().min(0).max(300_000, 'at most 300000 ms').default(35_000),
  /** Share of records in list answers that come back malformed (faces decide how: a missing or mistyped field). */
  malformedRate: z.number().min(0).max(1).default(0),
  /**
   * false: every answer draws anew (a flaky serialiser; the record is fine next time). true: the same records are
   * malformed in every answer that carries them, chosen by their key (a broken row in the database).
   */
  malformedPersistent: z.boolean().default(false),
  /** Requests per second allowed before 429 (token bucket, burst = one second's worth); 0 = unlimited. */
  requestsPerSecond: z.number().min(0).default(0),
});
export type FaultConfig = z.infer<typeof faultConfigSchema>;

export interface FaceStats {
  requests: number;
  injected5xx: number;
  injected429: number;
  /** 429s from the request-rate limit (not random injection). */
  rateLimited429: number;
  injectedTimeouts: number;
  malformedRecords: number;
}

const emptyStats = (): FaceStats => ({
  requests: 0,
  injected5xx: 0,
  injected429: 0,
  rateLimited429: 0,
  injectedTimeouts: 0,
  malformedRecords: 0,
});

/** mulberry32: small, fast, seeded. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private configs = new Map<Face, FaultConfig>();
  private stats = new Map<Face, FaceStats>();
  private buckets = new Map<Face, { tokens: number; at: number }>();
  private random: () => number;

  constructor(private readonly seed = 1) {
    this.random = seededRandom(seed);
  }

  config(face: Face): FaultConfig {
    return this.configs.get(face) ?? faultConfigSchema.parse({});
  }

  set(face: Face, config: Partial<FaultConfig>): FaultConfig {
    const next = faultConfigSchema.parse({ ...this.config(face), ...config });
    this.configs.set(face, next);
    this.buckets.delete(face);
    return next;
  }

  statsOf(face: Face): FaceStats {
    let stats = this.stats.get(face);
    if (!stats) this.stats.set(face, (stats = emptyStats()));
    return stats;
  }

  allStats(): Record<Face, FaceStats> {
    return Object.fromEntries(FACES.map((f) => [f, { ...this.statsOf(f) }])) as Record<Face, FaceStats>;
  }

  reset(): void {
    this.configs.clear();
    this.stats.clear();
    this.buckets.clear();
    this.random = seededRandom(this.seed);
  }

  /**
   * For faces: whether this record of a list answer should be broken; `recordKey` (e.g. the pk) picks the records
   * that stay broken when malformation is persistent. Counts what it breaks.
   */
  shouldMalform(face: Face, recordKey: number): boolean {
    const { malformedRate: rate, malformedPersistent: persistent } = this.config(face);
    if (rate <= 0) return false;
    const draw = persistent ? hashUnit(this.seed + 0x5eed, recordKey) : this.random();
    if (draw >= rate) return false;
    this.statsOf(face).malformedRecords++;
    return true;
  }

  /** Token bucket: refills `rps` tokens a second up to `rps`; returns ms until the next token, or 0 if one was taken. */
  private takeToken(face: Face, rps: number): number {
    const now = Date.now();
    const bucket = this.buckets.get(face) ?? { tokens: rps, at: now };
    bucket.tokens = Math.min(rps, bucket.tokens + ((now - bucket.at) / 1000) * rps);
    bucket.at = now;
    this.buckets.set(face, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / rps) * 1000);
  }

  /** A fastify onRequest hook for one face: rate limit, then injected latency, timeouts, 429s and 5xx. */
  hook(face: Face) {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const stats = this.statsOf(face);
      stats.requests++;
      const config = this.config(face);
      if (config.requestsPerSecond > 0) {
        const waitMs = this.takeToken(face, config.requestsPerSecond);
        if (waitMs > 0) {
          stats.rateLimited429++;
          await reply
            .code(429)
            .header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))))
            .send({ detail: 'Request was throttled.' });
          return;
        }
      }
      if (config.latencyMs > 0) await new Promise((r) => setTimeout(r, config.latencyMs));
      if (config.timeoutRate > 0 && this.random() < config.timeoutRate) {
        stats.injectedTimeouts++;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, config.timeoutHoldMs);
          request.raw.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        request.raw.socket.destroy();
        return reply.hijack();
      }
      if (config.rateLimitRate > 0 && this.random() < config.rateLimitRate) {
        stats.injected429++;
        await reply
          .code(429)
          .header('retry-after', String(config.retryAfterSeconds))
          .send({ detail: 'Request was throttled (injected).' });
        return;
      }
      if (config.errorRate > 0 && this.random() < config.errorRate) {
        stats.injected5xx++;
        await reply.code(503).send({ detail: 'Service unavailable (injected).' });
      }
    };
  }
}
