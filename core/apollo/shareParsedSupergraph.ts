/**
 * Hands @apollo/gateway the supergraph the gateway's snapshot already parsed, instead of letting it
 * parse and validate the same SDL a second time at start-up and on every reload. It relies on
 * @apollo/gateway 2.x's private `createSchemaFromSupergraphSdl(sdl)` (build the `Supergraph`, then
 * `createServices` for its subgraphs), which test/apollo/shareParsedSupergraph.test.ts pins.
 */
import type { Supergraph } from '@apollo/federation-internals';
import type { ParsedSupergraph } from './parseSupergraph.js';

/** The private members of `ApolloGateway` this replaces and calls. */
interface GatewayInternals {
  createSchemaFromSupergraphSdl(sdl: string): { supergraph: Supergraph; supergraphSdl: string };
  createServices(services: ReturnType<Supergraph['subgraphsMetadata']>): void;
}

/**
 * Makes `gateway` take the supergraph `parsedFor` returns for the SDL it is handed (the snapshot's, when
 * the SDL is the snapshot's `gatewaySdl`), and parse any other SDL itself as before. The parse is the
 * same one: `for: SECURITY` links are the only difference between the SDLs, and they change neither the
 * schema nor the API schema. Returns false (and changes nothing) when the gateway lacks the internals,
 * so an upgrade that removes them costs a second parse, never a wrong schema.
 */
export function shareParsedSupergraph(gateway: object, parsedFor: (gatewaySdl: string) => ParsedSupergraph | null): boolean {
  const internals = gateway as Partial<GatewayInternals>;
  const own = internals.createSchemaFromSupergraphSdl;
  const createServices = internals.createServices;
  if (typeof own !== 'function' || typeof createServices !== 'function') return false;
  internals.createSchemaFromSupergraphSdl = (sdl: string) => {
    const parsed = parsedFor(sdl);
    if (!parsed) return own.call(gateway, sdl);
    const { supergraph } = parsed.internals;
    createServices.call(gateway, supergraph.subgraphsMetadata());
    return { supergraph, supergraphSdl: sdl };
  };
  return true;
}
