/**
 * What every sandbox marketplace face shares beyond Trendyol and Shopify (which predate it, in marketplace-state.ts):
 * which items are listed, what the marketplace holds per item (and warehouse, where it has them), request budgets
 * per operation that answer the real throttling signal, an acceptance-ordered queue for asynchronous jobs, and the
 * counters benchmarks and chaos read (a re-applied body is what makes "nothing committed twice" checkable).
 *
 * A face is a plain class instance hanging off MarketplaceState, so the sandbox snapshot keeps its fields; its
 * routes are mounted at `/<adapter>/` inside the "marketplace" fault face (faults and global rate limits apply).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { MarketplaceTunables } from '../marketplace-state';

export interface FaceStats {
  requests: number;
  /** Sends the marketplace took in (a job accepted, or a synchronous call that applied something). */
  sendsAccepted: number;
  /** Asynchronous jobs finished (any final status). */
  jobsCompleted: number;
  itemFailures: number;
  /** Requests answered with the marketplace's throttling signal. */
  throttled: number;
  /** Items applied although the identical item set had been applied before: a page sent again. */
  bodiesAppliedAgain: number;
}

const emptyStats = (): FaceStats => ({
  requests: 0,
  sendsAccepted: 0,
  jobsCompleted: 0,
  itemFailures: 0,
  throttled: 0,
  bodiesAppliedAgain: 0,
});

/** A request budget: `perSecond` restored continuously up to `burst` (the token bucket most marketplaces document). */
export interface RequestBudget {
  perSecond: number;
  burst: number;
}

/** What a face answers at the control endpoints and to the delivery checks, whatever its marketplace. */
export interface Holdings {
  readonly hasWarehouses: boolean;
  /** The quantity held; undefined when the item is not listed (or, with warehouses, not stocked at that one). */
  held(remoteId: string, warehouse: string | undefined): number | undefined;
  /** As if an earlier sync had delivered it (control: nothing counted). */
  hold(remoteId: string, warehouse: string | undefined, quantity: number): void;
  /** Behind the integration's back; null: the item is gone (delisted, or no longer stocked at the warehouse). */
  drift(remoteId: string, warehouse: string | undefined, quantity: number | null): void;
}

export abstract class MarketplaceFace implements Holdings {
  abstract readonly adapter: string;
  abstract readonly hasWarehouses: boolean;
  protected counters = emptyStats();
  /** Multiplies every budget given to {@link takeBudget} (the sandbox's `budgetScale`; 1 = as documented). */
  budgetScale = 1;
  /** Remote ids of listed items (the merchant's SKU on every face so far). */
  private readonly listed = new Set<string>();
  /** remoteId, or remoteId + "\0" + warehouse -> quantity */
  private readonly quantities = new Map<string, number>();
  /** sha1 of every item set ever applied. */
  private readonly applied = new Set<string>();
  /** operation -> tokens left and when they were counted */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** The face's HTTP API, mounted at `/<adapter>/`; `tunables` are the sandbox's settings now in force. */
  abstract routes(tunables: () => MarketplaceTunables): FastifyPluginAsync;

  /** The code WAREHOUSE_CODES maps a stock list to, on a seeded channel of this marketplace. */
  warehouseCode(stockListId: number): string {
    return `${this.adapter.toUpperCase()}-WH-${stockListId}`;
  }

  /**
   * Completes the asynchronous jobs that are due (a face with jobs overrides it); everything that reads holdings or
   * counters calls it first, so they show what a poll would see.
   */
  settle(_now = Date.now()): void {}

  list(remoteIds: Iterable<string>): void {
    for (const id of remoteIds) this.listed.add(id);
  }

  isListed(remoteId: string): boolean {
    return this.listed.has(remoteId);
  }

  held(remoteId: string, warehouse: string | undefined): number | undefined {
    this.settle();
    if (!this.listed.has(remoteId)) return undefined;
    const quantity = this.quantities.get(this.key(remoteId, warehouse));
    return quantity ?? (this.hasWarehouses ? undefined : 0);
  }

  hold(remoteId: string, warehouse: string | undefined, quantity: number): void {
    this.quantities.set(this.key(remoteId, warehouse), quantity);
  }

  drift(remoteId: string, warehouse: string | undefined, quantity: number | null): void {
    if (quantity !== null) return this.hold(remoteId, warehouse, quantity);
    this.quantities.delete(this.key(remoteId, warehouse));
    if (!this.hasWarehouses) this.listed.delete(remoteId);
  }

  /** remoteId (or "remoteId@warehouse") -> quantity, for the control endpoint. */
  heldQuantities(): Record<string, number> {
    this.settle();
    return Object.fromEntries([...this.quantities].map(([key, quantity]) => [key.replace('\0', '@'), quantity]));
  }

  stats(): FaceStats {
    this.settle();
    return { ...this.counters };
  }

  reset(): void {
    this.counters = emptyStats();
    this.listed.clear();
    this.quantities.clear();
    this.applied.clear();
    this.buckets.clear();
  }

  countRequest(): void {
    this.counters.requests++;
  }

  /**
   * Takes one request from `operation`'s budget: 0 when it may proceed, else how long (ms) until a token is back —
   * the face answers its marketplace's throttling signal with that delay. A throttled request takes nothing.
   */
  protected takeBudget(operation: string, documented: RequestBudget, now = Date.now()): number {
    const budget = { perSecond: documented.perSecond * this.budgetScale, burst: documented.burst * this.budgetScale };
    const bucket = this.buckets.get(operation) ?? { tokens: budget.burst, at: now };
    bucket.tokens = Math.min(budget.burst, bucket.tokens + ((now - bucket.at) / 1000) * budget.perSecond);
    bucket.at = now;
    this.buckets.set(operation, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    this.counters.throttled++;
    return Math.ceil(((1 - bucket.tokens) / budget.perSecond) * 1000);
  }

  /** Sets what an accepted item says; records the item set so a page applied twice is counted. */
  protected applyQuantities(items: readonly { remoteId: string; warehouse?: string; quantity: number }[]): void {
    const hash = createHash('sha1')
      .update(this.adapter)
      .update(JSON.stringify(items.map((i) => [i.remoteId, i.warehouse ?? null, i.quantity])))
      .digest('hex');
    if (this.applied.has(hash)) this.counters.bodiesAppliedAgain++;
    this.applied.add(hash);
    for (const item of items) this.hold(item.remoteId, item.warehouse, item.quantity);
  }

  private key(remoteId: string, warehouse: string | undefined): string {
    return this.hasWarehouses && warehouse !== undefined ? `${remoteId}\0${warehouse}` : remoteId;
  }
}

/** One asynchronous job: accepted, due after the marketplace's processing delay, then completed with its result. */
export interface Job<Payload, Result> {
  id: string;
  acceptedAt: number;
  dueAt: number;
  payload: Payload;
  result?: Result;
  completedAt?: number;
}

/**
 * Jobs complete strictly in acceptance order, when read after their due time (no timers), so a later job is never
 * overtaken by an earlier one; a job is forgotten `retentionMs` after acceptance (then the marketplace answers as it
 * does for an unknown id).
 */
export class JobQueue<Payload, Result> {
  private readonly jobs = new Map<string, Job<Payload, Result>>();
  private pending: string[] = [];

  accept(id: string, payload: Payload, delayMs: number, now = Date.now()): Job<Payload, Result> {
    const job: Job<Payload, Result> = { id, acceptedAt: now, dueAt: now + delayMs, payload };
    this.jobs.set(id, job);
    this.pending.push(id);
    return job;
  }

  /** Completes due jobs from the front (`complete` applies one and answers its result); answers how many. */
  settle(complete: (job: Job<Payload, Result>) => Result, now = Date.now()): number {
    let done = 0;
    for (const id of this.pending) {
      const job = this.jobs.get(id)!;
      if (job.dueAt > now) break;
      job.result = complete(job);
      job.completedAt = now;
      done++;
    }
    if (done > 0) this.pending = this.pending.slice(done);
    return done;
  }

  /** The job, or undefined when unknown or past retention (a forgotten job still pending is still applied). */
  get(id: string, retentionMs = Infinity, now = Date.now()): Job<Payload, Result> | undefined {
    const job = this.jobs.get(id);
    if (job && job.acceptedAt <= now - retentionMs) return undefined;
    return job;
  }

  /** Jobs accepted but not yet completed. */
  get open(): number {
    return this.pending.length;
  }

  clear(): void {
    this.jobs.clear();
    this.pending = [];
  }
}

/**
 * The access tokens a face's OAuth token endpoint issued: token -> when it expires and the scopes it was minted for.
 * Data only (the snapshot keeps it); a token unknown, expired or revoked authenticates nothing.
 */
export class IssuedTokens {
  private readonly tokens = new Map<string, { expiresAt: number; scopes: string[] }>();
  /** Exchanges answered (tests count refreshes with it). */
  issued = 0;

  issue(prefix: string, lifetimeMs: number, scopes: readonly string[] = [], now = Date.now()): string {
    const token = `${prefix}${randomBytes(24).toString('base64url')}`;
    this.tokens.set(token, { expiresAt: now + lifetimeMs, scopes: [...scopes] });
    this.issued++;
    return token;
  }

  /** The scopes of a live token; undefined when the token authenticates nothing. */
  scopesOf(token: string | undefined, now = Date.now()): string[] | undefined {
    const entry = token === undefined ? undefined : this.tokens.get(token);
    return entry && now < entry.expiresAt ? entry.scopes : undefined;
  }

  /** Revokes every token, as a seller withdrawing the application's access would. */
  revoke(): void {
    this.tokens.clear();
  }

  clear(): void {
    this.tokens.clear();
    this.issued = 0;
  }
}
