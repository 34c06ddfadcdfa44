import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GATEWAY_TOKEN_HEADER } from '../../core/tokens/gatewayToken.js';
import type { SubgraphHttp } from '../upstream/createSubgraphClient.js';
import { SubgraphDataSource } from '../upstream/SubgraphDataSource.js';
import type { GatewayTokenSigner } from './createGatewayTokenSigner.js';
import { principalOf } from './Principal.js';

/**
 * The gateway's data source for a trusted subgraph's HTTP requests (query fetches and subscription
 * entity fetches): every request carries the caller's identity as a token signed for that subgraph
 * alone (`aud` is its name), which is what subgraphs trust.
 */
export class IdentityDataSource extends SubgraphDataSource<Record<string, unknown>> {
  private readonly subgraph: string;

  constructor(
    config: {
      url: string;
      subgraph: string;
      /** The gateway's pooled subgraph client. @default a shared client with default settings */
      http?: SubgraphHttp;
    },
    private readonly signer: GatewayTokenSigner,
  ) {
    super({ url: config.url, serviceName: config.subgraph, http: config.http });
    this.subgraph = config.subgraph;
  }

  protected override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Record<string, unknown>>): Promise<void> {
    request.http?.headers.set(GATEWAY_TOKEN_HEADER, await this.signer.tokenFor(this.subgraph, principalOf(context)));
  }
}
