/**
 * The sandbox's N11 seller account: listed stockCodes with their quantities, and price-stock tasks that complete
 * `batchDelayMs` after acceptance, strictly in acceptance order, each sku SUCCESS or FAIL with reasons as
 * TaskDetails lists them. Its HTTP API (routes.ts) answers in n11's shapes: auth, REJECT, paging, throttling.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { MarketplaceTunables } from '../../marketplace-state';
import { type Job, JobQueue, MarketplaceFace, type RequestBudget } from '../face';
import { n11Routes } from './routes';

/** What the face accepts as the `appkey` / `appsecret` headers. */
export const N11_SANDBOX_CREDENTIALS = { appKey: 'sandbox-n11-appkey', appSecret: 'sandbox-n11-appsecret' };

/** "Maksimum değer 999.999". */
export const N11_MAX_QUANTITY = 999_999;
/**
 * n11 publishes no quota for its product services; the one it publishes (order list) is 1,000 requests a minute,
 * which each product operation gets here, as a bucket that may be spent at once.
 */
export const N11_BUDGET: RequestBudget = { perSecond: 1_000 / 60, burst: 1_000 };

export type N11Operation = 'price-stock-update' | 'task-details' | 'product-query';

/** One sku of a task body, as validated by the route. */
export interface N11TaskSku {
  stockCode: string;
  quantity?: number;
  listPrice?: number;
  salePrice?: number;
}

/** One row of TaskDetails' `skus.content`. */
export interface N11TaskRow {
  id: number;
  taskId: number;
  ownerId: number;
  itemCode: string;
  /** SUCCESS or FAIL, in the forms n11 is seen to write them (see {@link n11Status}). */
  status: string;
  sku: { stock?: number; listPrice?: number; salePrice?: number };
  reasons: string[];
}

/** The seller id the sandbox account has (TaskDetails' `ownerId`). */
const OWNER_ID = 900_111;
const FIRST_TASK_ID = 1_001;
/** n11 documents no retention for task results; a week here (tests shorten it, a reset restores it). */
const TASK_RETENTION_MS = 7 * 24 * 3_600_000;

export class N11Face extends MarketplaceFace {
  readonly adapter = 'n11';
  readonly hasWarehouses = false;
  /** How long a task stays readable after acceptance; then task-details answers 404. */
  retentionMs = TASK_RETENTION_MS;
  private nextTaskId = FIRST_TASK_ID;
  private nextRowId = 1;
  private readonly tasks = new JobQueue<N11TaskSku[], N11TaskRow[]>();

  routes(tunables: () => MarketplaceTunables): FastifyPluginAsync {
    return n11Routes(this, tunables);
  }

  /** 0 when the request may proceed, else the ms until `operation`'s budget has a request again. */
  throttle(operation: N11Operation, now = Date.now()): number {
    return this.takeBudget(operation, N11_BUDGET, now);
  }

  /** Takes a valid task in; it completes after `delayMs`. Answers the task id. */
  accept(skus: N11TaskSku[], delayMs: number, now = Date.now()): number {
    const id = this.nextTaskId++;
    this.tasks.accept(String(id), skus, delayMs, now);
    this.counters.sendsAccepted++;
    return id;
  }

  /** The task as TaskDetails sees it now, or undefined when unknown or past retention. */
  task(id: number, now = Date.now()): Job<N11TaskSku[], N11TaskRow[]> | undefined {
    this.settle(now);
    return this.tasks.get(String(id), this.retentionMs, now);
  }

  override settle(now = Date.now()): void {
    this.counters.jobsCompleted += this.tasks.settle((job) => this.complete(job), now);
  }

  override reset(): void {
    super.reset();
    this.tasks.clear();
    this.retentionMs = TASK_RETENTION_MS;
    this.nextTaskId = FIRST_TASK_ID;
    this.nextRowId = 1;
  }

  /** Every sku gets its verdict; the quantities of those that succeeded are applied together. */
  private complete(job: Job<N11TaskSku[], N11TaskRow[]>): N11TaskRow[] {
    const applied: { remoteId: string; quantity: number }[] = [];
    const rows = job.payload.map((sku): N11TaskRow => {
      const failure = this.failureOf(sku);
      if (failure) this.counters.itemFailures++;
      else if (sku.quantity !== undefined) applied.push({ remoteId: sku.stockCode, quantity: sku.quantity });
      return {
        id: this.nextRowId++,
        taskId: Number(job.id),
        ownerId: OWNER_ID,
        itemCode: sku.stockCode,
        status: n11Status(failure ? 'FAIL' : 'SUCCESS', Number(job.id)),
        sku: { stock: sku.quantity, listPrice: sku.listPrice, salePrice: sku.salePrice },
        reasons: failure ? [failure] : [],
      };
    });
    if (applied.length > 0) this.applyQuantities(applied);
    return rows;
  }

  private failureOf(sku: N11TaskSku): string | undefined {
    if (!this.isListed(sku.stockCode)) return `${sku.stockCode} stok koduna ait ürün bulunamadı.`;
    if (sku.quantity !== undefined && (sku.quantity < 0 || sku.quantity > N11_MAX_QUANTITY)) {
      return `Stok miktarı 0 ile ${N11_MAX_QUANTITY} arasında olmalıdır.`;
    }
    return undefined;
  }
}

/**
 * A status as n11 writes it. Integrators have seen n11 answer status strings with a leading blank and in mixed case
 * ("Fail"); every odd-numbered task answers its statuses that way, so the flows meet both forms end to end.
 */
export function n11Status(status: 'SUCCESS' | 'FAIL' | 'PROCESSED', taskId: number): string {
  if (taskId % 2 === 0) return status;
  return ` ${status.charAt(0)}${status.slice(1).toLowerCase()}`;
}
