/**
 * Everything the gateway derives from one supergraph SDL, built once per new SDL and swapped as one
 * reference: a consumer never sees the addresses of one supergraph beside the auth rules of another,
 * and a supergraph that fails to build leaves the previous snapshot in service whole.
 */
import type { GraphQLSchema } from 'graphql';
import { gatewayCompatibleSdl, parseSupergraph, type ParsedSupergraph } from '../../core/apollo/index.js';
import { loadAuthSchema, type AuthSchema } from '../auth/AuthSchema.js';
import { readCostDirectives, type CostDirectives } from '../limits/readCostDirectives.js';
import { subgraphAddresses, type SubgraphAddress, type SubgraphAddressOverrides } from './subgraphAddresses.js';

/** One supergraph as every part of the gateway reads it. Frozen. */
export interface SupergraphSnapshot {
  /** The SDL as composed or read (auth directives and `for: SECURITY` links included). */
  readonly sdl: string;
  /** The SDL handed to @apollo/gateway (`for: SECURITY` dropped, see core/apollo/gatewayCompatibleSdl.ts). */
  readonly gatewaySdl: string;
  /** The parsed supergraph: schemas, planner, resumable fields (the subscription executor plans with it). */
  readonly supergraph: ParsedSupergraph;
  /** The client-facing schema (breaking-change diffs, the auth replay; never Apollo Server's own). */
  readonly apiSchema: GraphQLSchema;
  /** The auth view: `@authenticated`, `@requiresScopes`, `@policy` requirements per field. */
  readonly auth: AuthSchema;
  /** Where each subgraph is reached (replicas and websocket URLs from the gateway's configuration). */
  readonly addresses: Readonly<Record<string, SubgraphAddress>>;
  /** `@cost` and `@listSize`, for the operation cost limit. */
  readonly costs: CostDirectives;
}

/** Options of `buildSupergraphSnapshot`. */
export interface SupergraphSnapshotOptions {
  /** Replicas and websocket URLs the configuration adds to the supergraph's addresses. @default {} */
  addressOverrides?: SubgraphAddressOverrides;
}

/** Parses the SDL once and derives the rest from that parse. Throws when the SDL is not a valid supergraph. */
export function buildSupergraphSnapshot(sdl: string, options: SupergraphSnapshotOptions = {}): SupergraphSnapshot {
  const { addressOverrides = {} } = options;
  const supergraph = parseSupergraph(sdl);
  return Object.freeze({
    sdl,
    gatewaySdl: gatewayCompatibleSdl(sdl),
    supergraph,
    apiSchema: supergraph.apiSchema,
    auth: loadAuthSchema(supergraph),
    addresses: Object.freeze(subgraphAddresses(supergraph, addressOverrides)),
    costs: readCostDirectives(supergraph.document),
  });
}
