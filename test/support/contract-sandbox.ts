/**
 * The plumbing every channel contract test (test/contract/<marketplace>.test.ts, channels, channel-reads) shares:
 * one in-process sandbox per file, reset and re-listed before each test; the listings those tests assume
 * (SKU-i / BC-i / InventoryItem 100+i); the marketplace control helpers; an item builder; the remote batch id of an
 * async send; polling a batch until it settles; and the rejection of a promise. Kept here so that each test file
 * states only what its marketplace is tested for, and so a change to the sandbox's setup is made once, not per file.
 */
import axios, { type AxiosInstance } from 'axios';
import type { BatchCheck, ChannelAdapter, ChannelItem, SendOutcome } from '../../src/channels/port';
import type { Listing, MarketplaceOptions } from '../../src/sandbox/marketplace-state';
import { startSandbox, type Sandbox } from '../../src/sandbox/server';

/** `n` listings: SKU-i, barcode BC-i, Shopify inventory item 100+i. */
export function contractListings(n: number): Listing[] {
  return Array.from({ length: n }, (_, i) => ({
    sku: `SKU-${i}`,
    barcode: `BC-${i}`,
    inventoryItemId: `gid://shopify/InventoryItem/${100 + i}`,
  }));
}

export interface ContractSandboxOptions {
  /** Listed again before each test, after the sandbox's state is reset. */
  listings: readonly Listing[];
  /** How long an async batch stays pending; 80 ms unless told. */
  batchDelayMs?: number;
  /** Any other marketplace tunable (e.g. budgetScale). */
  marketplace?: MarketplaceOptions;
}

/**
 * Starts a sandbox on a free loopback port before the file's tests and closes it after them; before each test its
 * state is reset and `listings` listed. Returns the running sandbox (call it inside a test or hook, not at load).
 */
export function useContractSandbox(options: ContractSandboxOptions): () => Sandbox {
  let sandbox: Sandbox | undefined;
  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      marketplace: { batchDelayMs: options.batchDelayMs ?? 80, ...options.marketplace },
    });
  });
  afterAll(() => sandbox?.close());
  beforeEach(() => {
    const running = current();
    running.state.reset();
    running.state.marketplace.addListings(options.listings);
  });
  function current(): Sandbox {
    if (!sandbox) throw new Error('the contract sandbox is not running (used outside a test or hook?)');
    return sandbox;
  }
  return current;
}

/** The sandbox's control API, and its marketplace options (PUT marketplace/options). */
export function marketplaceControl(sandbox: () => Pick<Sandbox, 'urls'>): {
  control: () => AxiosInstance;
  setOptions: (options: object) => ReturnType<AxiosInstance['put']>;
} {
  const control = () => axios.create({ baseURL: sandbox().urls.control });
  return { control, setOptions: (options: object) => control().put('marketplace/options', options) };
}

/** Item `i` addressed by its merchant SKU (remoteId SKU-i); `extra` overrides or adds fields. */
export const merchantItem = (i: number | string, quantity: number, extra: Partial<ChannelItem> = {}): ChannelItem => ({
  sku: `SKU-${i}`,
  remoteId: `SKU-${i}`,
  quantity,
  ...extra,
});

/** The remote batch id of an async send; anything else fails the test. */
export function remoteBatchId(outcome: SendOutcome): string {
  if (outcome.mode !== 'async') throw new Error(`expected an async outcome, got ${JSON.stringify(outcome)}`);
  return outcome.remoteBatchId;
}

export interface AwaitOptions {
  /** What the marketplace calls a batch, for the failure message ("upload", "task", "feed"); "batch" unless told. */
  what?: string;
  timeoutMs?: number;
  intervalMs?: number;
}

async function poll<T extends BatchCheck>(
  adapter: ChannelAdapter,
  id: string,
  stop: (check: BatchCheck) => check is T,
  { timeoutMs = 3_000, intervalMs = 20 }: AwaitOptions,
): Promise<T | undefined> {
  for (let waited = 0; waited < timeoutMs; waited += intervalMs) {
    const check = await adapter.checkBatch(id);
    if (stop(check)) return check;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return undefined;
}

/** Polls checkBatch until the batch is done (an expired one is polled on until the time is up). */
export async function awaitDone(
  adapter: ChannelAdapter,
  id: string,
  options: AwaitOptions = {},
): Promise<Extract<BatchCheck, { state: 'done' }>> {
  const done = await poll(adapter, id, (c): c is Extract<BatchCheck, { state: 'done' }> => c.state === 'done', options);
  if (done) return done;
  throw new Error(`${options.what ?? 'batch'} ${id} never completed`);
}

/** Polls checkBatch until the batch is no longer pending: done or expired. */
export async function awaitSettled(
  adapter: ChannelAdapter,
  id: string,
  options: AwaitOptions = {},
): Promise<Exclude<BatchCheck, { state: 'pending' }>> {
  const settled = await poll(
    adapter,
    id,
    (c): c is Exclude<BatchCheck, { state: 'pending' }> => c.state !== 'pending',
    options,
  );
  if (settled) return settled;
  throw new Error(`${options.what ?? 'batch'} ${id} never finished`);
}

/** What `promise` rejects with; a promise that resolves fails the test. */
export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
