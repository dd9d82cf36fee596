/**
 * The sandbox's ONE state, shared by its three faces: Whippy Ware and Omnitron read and write the same catalogue
 * (Omnitron's product stocks are derived from Whippy Ware's stock), and the marketplace holds what channels were sent.
 */
import { CatalogState } from './catalog-state';
import { Faults } from './faults';
import { MarketplaceState, type MarketplaceOptions } from './marketplace-state';

export interface SandboxStateOptions {
  /** Seed of the fault-injection random generator. */
  seed?: number;
  marketplace?: MarketplaceOptions;
}

export class SandboxState {
  readonly faults: Faults;
  readonly catalog: CatalogState;
  readonly marketplace: MarketplaceState;

  constructor(options: SandboxStateOptions = {}) {
    this.faults = new Faults(options.seed);
    this.marketplace = new MarketplaceState(options.marketplace);
    this.catalog = new CatalogState(this.marketplace);
  }

  reset(): void {
    this.faults.reset();
    this.marketplace.reset();
    this.catalog.reset();
  }
}
