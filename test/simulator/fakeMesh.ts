/**
 * A tiny stand-in for the four subgraphs' ingestion fronts: one Express server on port 0 that serves
 * `/<domain>/descriptor` and `/<domain>/events` the way the real endpoint answers (envelope and fact
 * schema validation, dedupe by source + id, report with 200/207/400), and records every batch it accepted.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { z } from 'zod';
import { catalogFacts } from '../../subgraphs/catalog/catalogProduct.js';
import { inventoryFacts } from '../../subgraphs/inventory/inventoryProduct.js';
import { cloudEventEnvelope } from '../../core/events/CloudEvent.js';
import { orderFacts } from '../../subgraphs/orders/ordersProduct.js';
import { shippingFacts } from '../../subgraphs/shipping/shippingProduct.js';
import { SIM_DOMAINS, type SimDomain, type SimulatedFact } from '../../simulator/simulatedFact.js';
import { deferred, withTimeout } from '../support/asyncWait.js';

export const FACT_SCHEMAS: Record<SimDomain, Record<string, z.ZodType>> = {
  catalog: catalogFacts,
  orders: orderFacts,
  inventory: inventoryFacts,
  shipping: shippingFacts,
};

export interface FakeMeshOptions {
  /** `factCount` the descriptor reports on top of what was posted (a domain seeded earlier). */
  existingFacts?: Partial<Record<SimDomain, number>>;
  /** Fact types each domain rejects, to provoke rejections. */
  rejectTypes?: Partial<Record<SimDomain, string[]>>;
  /** When set, `POST /events` without `authorization: <this>` is refused with 401, as a producer check would. */
  requireAuthorization?: string;
  /** A domain's `POST /events` requests are answered (and their facts stored) only once its promise resolves: a slow subgraph. */
  holdAnswers?: Partial<Record<SimDomain, Promise<void>>>;
}

export interface FakeMesh {
  /** Base URLs for `runSimulator({ subgraphs })`. */
  subgraphs: Record<SimDomain, string>;
  /** Every batch accepted (answered with a report), per domain, in arrival order. */
  batches: Record<SimDomain, SimulatedFact[][]>;
  /** `POST /events` requests received per domain, answered or not. */
  received: Record<SimDomain, number>;
  /** Answer the next n `POST /events` of a domain with 503. */
  failNext: Record<SimDomain, number>;
  /** All facts of a domain accepted so far, in arrival order. */
  facts(domain: SimDomain): SimulatedFact[];
  /** The ids a domain stores (each once, duplicates dropped). */
  storedIds(domain: SimDomain): string[];
  /** Resolves once `condition` holds after some batch arrived; fails after `timeoutMs`. */
  until(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeMesh(options: FakeMeshOptions = {}): Promise<FakeMesh> {
  const { existingFacts = {}, rejectTypes = {}, requireAuthorization, holdAnswers = {} } = options;
  const received = Object.fromEntries(SIM_DOMAINS.map((d) => [d, 0])) as Record<SimDomain, number>;
  const batches = Object.fromEntries(SIM_DOMAINS.map((d) => [d, [] as SimulatedFact[][]])) as Record<SimDomain, SimulatedFact[][]>;
  const stored = Object.fromEntries(SIM_DOMAINS.map((d) => [d, new Set<string>()])) as Record<SimDomain, Set<string>>;
  // The latest fact time applied, as the real descriptor's `asOf` (null before the first).
  const asOf = Object.fromEntries(SIM_DOMAINS.map((d) => [d, null as string | null])) as Record<SimDomain, string | null>;
  const failNext = Object.fromEntries(SIM_DOMAINS.map((d) => [d, 0])) as Record<SimDomain, number>;
  let waiters: Array<() => void> = [];

  const app = express();
  for (const domain of SIM_DOMAINS) {
    app.get(
      `/${domain}/descriptor`,
      (_req, res) => void res.json({ domain, factCount: stored[domain].size + (existingFacts[domain] ?? 0), asOf: asOf[domain] }),
    );
    app.post(`/${domain}/events`, express.json({ type: () => true, limit: '20mb' }), async (req, res) => {
      received[domain]++;
      await holdAnswers[domain];
      if (requireAuthorization !== undefined && req.headers.authorization !== requireAuthorization) {
        res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: 'a producer token is required' } });
        return;
      }
      if (failNext[domain] > 0) {
        failNext[domain]--;
        res.status(503).json({ error: { code: 'STORE_UNAVAILABLE', message: 'nothing was applied; retry: test outage' } });
        return;
      }
      const events = (Array.isArray(req.body) ? req.body : [req.body]) as SimulatedFact[];
      const outcomes = events.map((event, index) => {
        const envelope = cloudEventEnvelope.safeParse(event);
        const schema = FACT_SCHEMAS[domain][event.type];
        const data = schema?.safeParse(event.data);
        if (!envelope.success || !data?.success || rejectTypes[domain]?.includes(event.type)) {
          return {
            index,
            status: 'rejected' as const,
            source: event.source,
            id: event.id,
            field: 'data',
            reason: `data: ${event.type} refused by the fake mesh`,
          };
        }
        const key = `${event.source}\u0000${event.id}`;
        const status = stored[domain].has(key) ? ('duplicate' as const) : ('applied' as const);
        stored[domain].add(key);
        if (status === 'applied' && (asOf[domain] === null || event.time > asOf[domain])) asOf[domain] = event.time!;
        return { index, status, source: event.source, id: event.id };
      });
      const count = (status: string) => outcomes.filter((o) => o.status === status).length;
      const rejected = count('rejected');
      batches[domain].push(events);
      res
        .status(rejected === 0 ? 200 : rejected === events.length ? 400 : 207)
        .json({ applied: count('applied'), duplicates: count('duplicate'), rejected, events: outcomes });
      const current = waiters;
      waiters = [];
      for (const wake of current) wake();
    });
  }

  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    subgraphs: Object.fromEntries(SIM_DOMAINS.map((d) => [d, `${base}/${d}`])) as Record<SimDomain, string>,
    batches,
    received,
    failNext,
    facts: (domain) => batches[domain].flat(),
    storedIds: (domain) => [...stored[domain]].map((key) => key.split('\u0000')[1]),
    until: (condition, what, timeoutMs = 5000) => {
      const done = deferred();
      const check = () => (condition() ? done.resolve() : void waiters.push(check));
      check();
      return withTimeout(done.promise, what, timeoutMs);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
