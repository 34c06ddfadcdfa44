import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GATEWAY_TOKEN_HEADER, type GatewayTokenSigner } from './createGatewayTokenSigner.js';
import { principalOf } from './Principal.js';

/**
 * The gateway's data source for subgraph HTTP requests (query fetches and subscription entity fetches):
 * every request carries the caller's identity as a gateway-signed token, which is what subgraphs trust.
 */
export class IdentityDataSource extends RemoteGraphQLDataSource<Record<string, unknown>> {
  constructor(
    config: { url: string },
    private readonly signer: GatewayTokenSigner,
  ) {
    super(config);
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Record<string, unknown>>): Promise<void> {
    request.http?.headers.set(GATEWAY_TOKEN_HEADER, await this.signer.tokenFor(principalOf(context)));
  }
}
