/** STUB — to be written: Trendyol-shaped async batches and Shopify inventory per channel account. */
export interface MarketplaceOptions {
  /** How long an accepted Trendyol batch stays IN_PROGRESS. */
  batchDelayMs?: number;
  /** Trendyol rejects the same body again within this window (15 min in production). */
  repeatWindowMs?: number;
}

export class MarketplaceState {
  constructor(readonly options: MarketplaceOptions = {}) {}
  reset(): void {}
}
