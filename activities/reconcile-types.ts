/**
 * The contract between `reconcileChannelStock` and its activities: spans, counts and stock pks, never SKUs' records.
 */

/** One stock list to reconcile, with the channel warehouse it is sent to. */
export interface ReconcileTarget {
  /** The stock list's id in Omnitron and the stock API (the catalogue's main list too: the stock API needs its id). */
  stockListId: number;
  /** The catalogue's main list (its stocks are `product_stocks`, the others `extra_product_stocks`). */
  main: boolean;
  warehouseCode: string | null;
}

export interface ReconcilePlan {
  active: boolean;
  mode: 'sync' | 'async';
  targets: ReconcileTarget[];
  /** Most repairs one batch takes: what one send to the channel carries (`limits.itemsPerRequest`). */
  repairsPerBatch: number;
  /** Most stocks one channel read takes (`limits.readItemsPerRequest`): bounds the sample read again to confirm. */
  readsPerRequest: number;
}

/**
 * One chunk of a list's walk through the stock API, aligned to its pages so chunks can be read side by side: from
 * `offset` of page `page`, the SKUs of `pages` pages, at most `limit` of them (one channel read's worth).
 */
export interface ReconcileSpan {
  page: number;
  offset: number;
  pages: number;
  /** Absent: one channel read's worth (the adapter's `readItemsPerRequest`). */
  limit?: number;
}

/** How the stock API pages a list (its page size, learnt from the first page) and how much one channel read takes. */
export interface ReconcileLayout {
  pageSize: number;
  readSize: number;
}

/**
 * Outcome counts. `match`: the channel holds what it should; `drift`: another quantity; `missing`: Omnitron says the
 * product is on the channel, the channel has no such item; `unknown`: the channel could not be read (retries spent);
 * `notListed`: the product was never sent to the channel (no identity there: the insert flow's work, not drift).
 */
export interface ReconcileCounts {
  compared: number;
  match: number;
  drift: number;
  missing: number;
  unknown: number;
  notListed: number;
}

/** A drifted SKU's stock in Omnitron, with the stock API's quantity the comparison used. */
export interface RepairCandidate {
  stockPk: number;
  stock: number;
}

export interface ReconcileChunkInput {
  channelId: number;
  target: ReconcileTarget;
  span: ReconcileSpan;
  /** Names this reconcile (the first run of its chain) in the error codes of its drift reports. */
  runKey: string;
  repair: boolean;
  /** false: the chunk failed for good — count its SKUs `unknown` without reading the channel, move on. */
  readChannel: boolean;
  /** Failed channel reads before the chunk's SKUs count `unknown` (retries after other failures do not count). */
  readAttempts?: number;
}

export interface ReconcileChunkResult {
  counts: ReconcileCounts;
  /** The list ends in (or before) this chunk. */
  end: boolean;
  /** Stock API pages read to their end. */
  pagesEnded: number;
  /** The list's layout, from its first page (chunks after the first are placed by it). */
  layout: ReconcileLayout;
  /** SKUs the channel holds wrong (drift or missing): what their reports and repairs need, ids and counts only. */
  findings: ChunkFinding[];
  /** The channel's safety buffer the expected quantities were computed with (the reports name it). */
  safetyBuffer: number;
}

/** A SKU of a chunk the channel holds wrong. */
export interface ChunkFinding {
  sku: string;
  /** Omnitron's product (null: none found; a drift report then names no product and nothing is repaired). */
  productPk: number | null;
  remoteId: string;
  /** null: the channel has no such item (missing). */
  held: number | null;
  expected: number;
  stock: number;
}

export interface ReportChunkInput {
  channelId: number;
  target: ReconcileTarget;
  span: ReconcileSpan;
  runKey: string;
  repair: boolean;
  findings: ChunkFinding[];
  safetyBuffer: number;
}

export interface ReportChunkResult {
  /** With `repair`: the drifted SKUs' stocks (at most one channel read's worth). */
  repairs: RepairCandidate[];
}

export interface CommitRepairsInput {
  channelId: number;
  batchPk: number;
  repairs: RepairCandidate[];
}

export interface CommitRepairsResult {
  committed: number;
  /** Stocks whose quantity changed since the stock API was read: left to the update flow. */
  changed: number;
}

export interface ConfirmRepairsInput {
  channelId: number;
  target: ReconcileTarget;
  stockPks: number[];
}

export interface ConfirmRepairsResult {
  confirmed: number;
  stillDrifted: number;
}

export interface ReconcileActivities {
  planReconcile(input: { channelId: number; stockListId?: number }): Promise<ReconcilePlan>;
  /** One channel read's worth of a list: stock API page(s), identities, the channel's quantities, compared. */
  reconcileChunk(input: ReconcileChunkInput): Promise<ReconcileChunkResult>;
  /**
   * A chunk's findings into Omnitron (Omnitron only, so on the workflow's queue, outside the channel's budget): one
   * drift report per SKU, exactly once, and with `repair` each drifted product's stock to repair.
   */
  reportChunk(input: ReportChunkInput): Promise<ReportChunkResult>;
  /** Commits the repair candidates whose stock is unchanged into an `initialized` batch (then sendBatch sends it). */
  commitRepairs(input: CommitRepairsInput): Promise<CommitRepairsResult>;
  /** Re-reads a sample of repaired stocks at the channel. */
  confirmRepairs(input: ConfirmRepairsInput): Promise<ConfirmRepairsResult>;
}
