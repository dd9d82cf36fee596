/** STUB — to be written: Whippy Ware stocks + Omnitron catalogue, channels, batches, actions, error reports. */
import type { MarketplaceState } from './marketplace-state';

export class CatalogState {
  constructor(readonly marketplace: MarketplaceState) {}
  reset(): void {}
}
