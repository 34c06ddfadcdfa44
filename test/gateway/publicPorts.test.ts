/** The catalog's port links: file downloads go to `/files/<subgraph>/<file>`, whatever the domain is called. */
import { publicPorts } from '../../gateway/catalog/publicPorts.js';

const ENDPOINTS = {
  graphqlUrl: 'https://mesh.example.com/graphql',
  wsUrl: 'wss://mesh.example.com/graphql',
  filesUrl: 'https://mesh.example.com/files/',
  sqlUrl: 'https://mesh.example.com/sql',
  catalogUrl: 'https://mesh.example.com/catalog',
};

describe('publicPorts', () => {
  it('should link a file under its subgraph when the domain is named otherwise', () => {
    const [port] = publicPorts([{ kind: 'file', format: 'csv', path: 'sales-domain/sales_hour.csv' }], ENDPOINTS, 'orders');

    expect(port).toEqual({ kind: 'file', format: 'csv', path: 'sales-domain/sales_hour.csv', url: 'https://mesh.example.com/files/orders/sales_hour.csv' });
  });

  it('should keep only the file name of a server path, never show the path, and give it no link', () => {
    const [port] = publicPorts(
      [{ kind: 'file', format: 'parquet', path: '/srv/mesh/exports/orders/sales_day.parquet', url: 'file:///srv/x' }],
      ENDPOINTS,
      'orders',
    );

    expect(port).toEqual({ kind: 'file', format: 'parquet', path: 'sales_day.parquet' });
  });

  it('should point GraphQL and SQL ports at the gateway, not at the subgraph', () => {
    const ports = publicPorts(
      [
        { kind: 'graphql-query', url: 'http://10.0.0.7:4001/graphql' },
        { kind: 'sql', url: 'http://10.0.0.7:4001/sql' },
      ],
      ENDPOINTS,
      'orders',
    );

    expect(ports).toEqual([
      { kind: 'graphql-query', url: 'https://mesh.example.com/graphql' },
      { kind: 'sql', url: 'https://mesh.example.com/sql' },
    ]);
  });
});
