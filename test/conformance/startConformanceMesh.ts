/**
 * Starts what the conformance test compares: the six subgraphs of conformanceSubgraphs.ts on loopback,
 * each supergraph of CONFORMANCE_SCHEMAS composed with @apollo/composition, a reference gateway per
 * supergraph (bare @apollo/gateway behind @apollo/server, nothing else) and, through one factory per
 * executor under test, each executor under test per supergraph. The executors under test share the
 * subgraphs, the supergraphs and the reference (the subgraphs never store, so every executor sees the
 * same data), which is what lets one test file compare every query engine without starting them again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { parse } from 'graphql';
import { startSubgraphServer, type SubgraphServer } from '../support/startSubgraphServer.js';
import { CONFORMANCE_SCHEMAS, CONFORMANCE_SUBGRAPHS, type ConformanceSchemaName, type ConformanceSubgraphName } from './conformanceSubgraphs.js';
import type { WireResult } from './normaliseResponse.js';

/**
 * An executor of operations against one supergraph: the gateway under test or the reference. Pluggable:
 * today our gateway over HTTP, later our own plan executor called in-process.
 */
export type ConformanceExecutor = (operation: string, variables?: Record<string, unknown>) => Promise<WireResult>;

/** Builds the executor under test for one supergraph; `close` is called once after the run. */
export type ExecutorFactory = (supergraph: { name: ConformanceSchemaName; sdl: string; file: string }) => Promise<{
  execute: ConformanceExecutor;
  close(): Promise<void>;
}>;

export interface ConformanceMesh<Name extends string = string> {
  /** The composed supergraph SDL of each schema. */
  supergraphs: Record<ConformanceSchemaName, string>;
  reference: Record<ConformanceSchemaName, ConformanceExecutor>;
  /** Each executor under test (by the name of its factory) per schema. */
  underTest: Record<Name, Record<ConformanceSchemaName, ConformanceExecutor>>;
  /** How many HTTP requests each subgraph has served so far. */
  subgraphRequests(): Record<ConformanceSubgraphName, number>;
  close(): Promise<void>;
}

/** POSTs an operation to a GraphQL endpoint and parses the JSON answer, whatever the status. */
export function httpExecutor(url: string, headers: Record<string, string> = {}): ConformanceExecutor {
  return async (query, variables) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, ...(variables && { variables }) }),
    });
    return (await response.json()) as WireResult;
  };
}

/** Composes the named subgraphs (served at `urls`) into a supergraph SDL, or throws the composition errors. */
export function composeConformanceSchema(names: readonly ConformanceSubgraphName[], urls: Record<string, string>): string {
  const result = composeServices(names.map((name) => ({ name, url: urls[name], typeDefs: parse(CONFORMANCE_SUBGRAPHS[name].sdl) })));
  if (result.errors?.length) throw new Error(`conformance schema does not compose:\n${result.errors.map((e) => e.message).join('\n')}`);
  return result.supergraphSdl!;
}

export async function startConformanceMesh<Name extends string>(underTestFactories: Record<Name, ExecutorFactory>): Promise<ConformanceMesh<Name>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mesh-conformance-'));
  const closers: Array<() => Promise<void>> = [async () => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    const counts = Object.fromEntries(Object.keys(CONFORMANCE_SUBGRAPHS).map((name) => [name, 0])) as Record<ConformanceSubgraphName, number>;
    const servers: Partial<Record<ConformanceSubgraphName, SubgraphServer>> = {};
    for (const name of Object.keys(CONFORMANCE_SUBGRAPHS) as ConformanceSubgraphName[]) {
      const server = await startSubgraphServer(CONFORMANCE_SUBGRAPHS[name].build(), {
        context: () => {
          counts[name] += 1;
          return {};
        },
      });
      servers[name] = server;
      closers.push(() => server.close());
    }
    const urls = Object.fromEntries(Object.entries(servers).map(([name, server]) => [name, server.url]));
    const supergraphs = {} as Record<ConformanceSchemaName, string>;
    const reference = {} as Record<ConformanceSchemaName, ConformanceExecutor>;
    const factories = Object.entries(underTestFactories) as Array<[Name, ExecutorFactory]>;
    const underTest = Object.fromEntries(factories.map(([label]) => [label, {}])) as Record<Name, Record<ConformanceSchemaName, ConformanceExecutor>>;
    for (const name of Object.keys(CONFORMANCE_SCHEMAS) as ConformanceSchemaName[]) {
      const sdl = composeConformanceSchema(CONFORMANCE_SCHEMAS[name], urls);
      const file = path.join(dir, `${name}.graphql`);
      writeFileSync(file, sdl);
      supergraphs[name] = sdl;
      const apollo = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: sdl }), includeStacktraceInErrorResponses: false });
      const { url } = await startStandaloneServer(apollo, { listen: { port: 0, host: '127.0.0.1' } });
      closers.push(() => apollo.stop());
      reference[name] = httpExecutor(url);
      for (const [label, factory] of factories) {
        const tested = await factory({ name, sdl, file });
        closers.push(() => tested.close());
        underTest[label][name] = tested.execute;
      }
    }
    return { supergraphs, reference, underTest, subgraphRequests: () => ({ ...counts }), close };
  } catch (error) {
    await close();
    throw error;
  }
}
