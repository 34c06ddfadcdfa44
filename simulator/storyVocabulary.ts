/**
 * The fixed vocabulary of the simulated shop: where customers are, how they buy, where stock sits and who
 * carries parcels. Weights are relative shares; they shape dashboards, not contracts.
 */

export const REGIONS = ['eu', 'na', 'apac', 'latam'] as const;
export type Region = (typeof REGIONS)[number];
export const REGION_WEIGHTS: readonly number[] = [0.42, 0.3, 0.18, 0.1];

/** Must match the `channel` enum of the orders facts. */
export const CHANNELS = ['web', 'mobile', 'store', 'partner'] as const;
export const CHANNEL_WEIGHTS: readonly number[] = [0.45, 0.35, 0.12, 0.08];

/** Warehouses: Amsterdam, Dallas, Singapore. */
export const WAREHOUSES = ['ams', 'dal', 'sin'] as const;
export type Warehouse = (typeof WAREHOUSES)[number];

/** The warehouse that serves a region first; others ship when it has no stock. */
export const HOME_WAREHOUSE: Record<Region, Warehouse> = { eu: 'ams', na: 'dal', apac: 'sin', latam: 'dal' };

export const CARRIERS = ['dhl', 'ups', 'fedex', 'postnl'] as const;
export type Carrier = (typeof CARRIERS)[number];

/** Which carriers ship to a region, and how often each is chosen there. */
export const CARRIER_WEIGHTS: Record<Region, readonly number[]> = {
  eu: [0.35, 0.15, 0.1, 0.4],
  na: [0.15, 0.45, 0.4, 0],
  apac: [0.5, 0.2, 0.3, 0],
  latam: [0.4, 0.25, 0.35, 0],
};

/**
 * Mean transit time in days per carrier. With a promise of 3 days after dispatch and a spread of about a
 * day, on-time rates land between roughly 70% and 90%, and differ enough to be worth a dashboard.
 */
export const CARRIER_TRANSIT_DAYS: Record<Carrier, number> = { dhl: 2.3, ups: 2.1, fedex: 1.9, postnl: 2.5 };

/** Extra transit days into regions far from every warehouse. */
export const REGION_TRANSIT_PENALTY_DAYS: Record<Region, number> = { eu: 0, na: 0, apac: 0.3, latam: 0.6 };
