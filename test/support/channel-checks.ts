/**
 * What a finished run must leave behind, read from the sandbox: the channel holds Omnitron's quantity for every listed
 * SKU, no batch sits in `initialized`/`commit`, and no product stock was committed into two `done` batches. Shared by
 * the end-to-end and workflow tests so they all check the same invariants the same way.
 */
import axios from 'axios';
import { sandboxStockDeps } from '../../src/sandbox/connect';
import type { Sandbox } from '../../src/sandbox/server';

export type Control = <T = unknown>(method: 'GET' | 'POST' | 'PUT', path: string, body?: object) => Promise<T>;

export function sandboxControl(sandbox: Pick<Sandbox, 'urls'>): Control {
  return async <T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: object): Promise<T> =>
    (await axios.request<T>({ method, url: `${sandbox.urls.control}${path}`, data: body })).data;
}

/** SKU -> quantity Omnitron says the channel should hold for its main stock list. */
export async function expectedQuantities(control: Control, channelId: number): Promise<Record<string, number>> {
  return (await control<{ quantities: Record<string, number> }>('GET', `channels/${channelId}/expected`)).quantities;
}

/**
 * SKUs whose quantity at the channel's marketplace differs from the expectation, as `sku: held != expected` (empty =
 * in step): what the marketplace holds is read from the sandbox for the stock list (at its warehouse where the
 * marketplace has warehouses), the same way for every marketplace.
 */
export async function channelMismatches(
  control: Control,
  channelId: number,
  expected: Record<string, number>,
  stockListId = 1,
): Promise<string[]> {
  const { quantities } = await control<{ quantities: Record<string, number | null> }>(
    'GET',
    `channels/${channelId}/held?stock_list=${stockListId}`,
  );
  return Object.entries(expected)
    .filter(([sku, qty]) => quantities[sku] !== qty)
    .map(([sku, qty]) => `${sku}: ${String(quantities[sku] ?? undefined)} != ${qty}`);
}

/** Batch counts by status of one channel, as the sandbox's control endpoint reports them. */
export async function batchCounts(control: Control, channelId: number): Promise<Record<string, number>> {
  return (await control<{ counts: Record<string, number> }>('GET', `omnitron/batches?channel=${channelId}`)).counts;
}

/**
 * Product stock pks of a channel that sit in more than one `done` batch (a page committed twice); only batches with a
 * pk above `afterBatchPk` count (an update run legitimately re-sends what an earlier insert run sent).
 */
export function pksInSeveralDoneBatches(sandbox: Sandbox, channelId: number, afterBatchPk = 0): number[] {
  return sandbox.state.catalog.checks.deliveredTwice(channelId, afterBatchPk).pks;
}

/** How many batches of a channel are `done` right now (read in-process, without a request). */
export function doneBatches(sandbox: Sandbox, channelId: number): number {
  let n = 0;
  for (const batch of sandbox.state.catalog.batches.all.values()) {
    if (batch.channel === channelId && batch.status === 'done') n++;
  }
  return n;
}

/** The highest batch pk the sandbox has handed out so far (0 when none). */
export function lastBatchPk(sandbox: Sandbox): number {
  return Math.max(0, ...sandbox.state.catalog.batches.all.keys());
}

/** One drift or missing report of a reconcile, as its raw_response records it. */
export interface ReconcileReport {
  sku: string;
  held: number | null;
  expected: number;
  stock_list: number;
}

/**
 * The SKUs reconcile `reportPrefix` reported on a channel, from Omnitron's error reports, keyed `<list>:<sku>`;
 * throws when one SKU and list was reported twice.
 */
export async function reconcileReports(
  urls: Sandbox['urls'],
  channelId: number,
  reportPrefix: string,
): Promise<Map<string, ReconcileReport>> {
  const found = new Map<string, ReconcileReport>();
  for await (const report of sandboxStockDeps(urls).omnitron.iterateErrorReports(channelId, {
    error_code__startswith: reportPrefix,
  })) {
    const body = JSON.parse(report.raw_response ?? '{}') as ReconcileReport;
    const key = `${body.stock_list}:${body.sku}`;
    if (found.has(key)) throw new Error(`${key} was reported twice by ${reportPrefix}`);
    found.set(key, body);
  }
  return found;
}
