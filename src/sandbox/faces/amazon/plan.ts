/**
 * What the sandbox's Amazon is set up with: the one seller's credentials and the documented usage plans.
 */
import type { RequestBudget } from '../face';

/** What the face accepts; tests and the standalone sandbox configure the adapter with these. */
export const AMAZON_SANDBOX_CREDENTIALS = {
  sellerId: 'A2SANDBOXSELLER1',
  marketplaceId: 'A33AVAJ2PDY3EV',
  clientId: 'amzn1.application-oa2-client.sandbox',
  clientSecret: 'sandbox-amazon-client-secret',
  refreshToken: 'Atzr|sandbox-amazon-refresh-token',
};

/** The documented default usage plans (requests per second, burst). */
export const AMAZON_BUDGETS = {
  createFeedDocument: { perSecond: 0.5, burst: 15 },
  createFeed: { perSecond: 0.0083, burst: 15 },
  /** The feed type's own limit on top of createFeed's: five submissions per five minutes. */
  jsonListingsFeed: { perSecond: 5 / 300, burst: 5 },
  getFeed: { perSecond: 2, burst: 15 },
  getFeedDocument: { perSecond: 0.0222, burst: 10 },
  searchListingsItems: { perSecond: 5, burst: 5 },
  getListingsItem: { perSecond: 5, burst: 10 },
} satisfies Record<string, RequestBudget>;
export type AmazonOperation = keyof typeof AMAZON_BUDGETS;
