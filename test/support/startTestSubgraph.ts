/**
 * One real demo-domain subgraph for tests, started the way production starts it (`startSubgraph`), but
 * with an in-memory DuckDB, the in-process bus, port 0 on loopback and a throw-away export folder.
 * `postEvents` talks to `POST /events`, `graphql` to `/graphql` over HTTP and `subscribe` over graphql-ws,
 * so every test goes through the same interfaces a producer, the gateway or a dashboard would use.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { DomainName } from '../../subgraphs/domains.js';
import type { DataProductRuntime } from '../../subgraphs/kit/DataProductRuntime.js';
import { startSubgraph } from '../../subgraphs/startSubgraph.js';
import type { SubgraphConfig } from '../../subgraphs/subgraphConfig.js';
import { testSubgraphConfig } from './testSubgraphConfig.js';

/** A GraphQL error as it arrives over the wire. */
export interface WireError {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

/** A GraphQL response as it arrives over the wire, plus the HTTP status. */
export interface GraphQLResponse<T = any> {
  status: number;
  data?: T | null;
  errors?: WireError[];
}

/** An answer of `POST /events`. */
export interface EventsResponse {
  status: number;
  body: any;
}

/** A graphql-ws subscription: its payloads as an iterator; `return()` unsubscribes. */
export interface TestSubscription<T = any> extends AsyncIterableIterator<{ data?: T | null; errors?: WireError[] }> {
  /** The websocket client carrying it; `dispose()` closes the socket. */
  client: Client;
}

export interface TestSubgraph {
  /** `http://127.0.0.1:<port>/graphql` */
  url: string;
  /** `ws://127.0.0.1:<port>/graphql` */
  wsUrl: string;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** The in-process runtime (store, bus) behind the server. */
  runtime: DataProductRuntime;
  /** The export folder the descriptor lists. */
  exportDir: string;
  /** POSTs the value as JSON (an array goes as a batch). */
  postEvents(events: unknown): Promise<EventsResponse>;
  /** POSTs a body verbatim (for bodies that are not JSON). */
  postRaw(body: string, contentType?: string): Promise<EventsResponse>;
  graphql<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  /** Opens a new graphql-ws client and subscribes; the caller ends it with `return()` or `client.dispose()`. */
  subscribe<T = any>(query: string, variables?: Record<string, unknown>): TestSubscription<T>;
  /** Closes open subscription clients, then the server, bus and store; removes the export folder. */
  close(): Promise<void>;
}

/** `overrides` replace parts of the test configuration (e.g. a PostgreSQL store in a test namespace). */
export async function startTestSubgraph(domain: DomainName, overrides: Partial<SubgraphConfig> = {}): Promise<TestSubgraph> {
  const exportDir = await mkdtemp(path.join(tmpdir(), `mesh-${domain}-`));
  const running = await startSubgraph(testSubgraphConfig(domain, exportDir, overrides));
  const { url, wsUrl } = running.served;
  const base = url.replace(/\/graphql$/, '');
  const clients = new Set<Client>();

  const post = async (body: string, contentType: string): Promise<EventsResponse> => {
    const response = await fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: response.status, body: await response.json() };
  };

  return {
    url,
    wsUrl,
    base,
    runtime: running.runtime,
    exportDir,
    postEvents: (events) => post(JSON.stringify(events), Array.isArray(events) ? 'application/cloudevents-batch+json' : 'application/cloudevents+json'),
    postRaw: (body, contentType = 'application/cloudevents+json') => post(body, contentType),
    async graphql(query, variables) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      return { status: response.status, ...((await response.json()) as object) };
    },
    subscribe(query, variables) {
      const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      clients.add(client);
      const iterator = client.iterate({ query, variables }) as TestSubscription;
      iterator.client = client;
      return iterator;
    },
    async close() {
      for (const client of clients) await client.dispose();
      await running.close();
      await rm(exportDir, { recursive: true, force: true });
    },
  };
}
