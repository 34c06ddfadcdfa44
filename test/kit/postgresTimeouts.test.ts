import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { PostgresStore } from '../../subgraphs/kit/store/PostgresStore.js';
import { explainTimeout } from '../../subgraphs/kit/store/postgresTimeouts.js';
import { POSTGRES_TEST_URL, describeIfPostgres, dropSchemas, uniqueSchema } from '../support/postgresAvailable.js';
import { LAYOUT } from '../support/storeFixtures.js';

// --- harness -------------------------------------------------------------------------------------------

/** A TCP server that accepts connections and never answers: a PostgreSQL behind a dead network. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `postgres://mesh@127.0.0.1:${port}/test`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// --- tests ---------------------------------------------------------------------------------------------

describe('PostgresStore timeouts', () => {
  it('should name connectTimeoutMs when the server never answers the connection', async () => {
    const silent = await silentServer();
    const store = await PostgresStore.open({ url: silent.url, schema: 'never_created', timeouts: { connectTimeoutMs: 100 } });
    try {
      await expect(store.init(LAYOUT)).rejects.toThrow('PostgreSQL gave no connection within connectTimeoutMs (100 ms)');
    } finally {
      await store.close();
      await silent.close();
    }
  });

  it('should refuse a timeout that is not a positive integer, naming it', async () => {
    await expect(PostgresStore.open({ url: POSTGRES_TEST_URL, schema: 'x', timeouts: { statementTimeoutMs: 0 } })).rejects.toThrow(
      /statementTimeoutMs must be a positive integer/,
    );
    await expect(PostgresStore.open({ url: POSTGRES_TEST_URL, schema: 'x', readPoolSize: 0 })).rejects.toThrow(/readPoolSize/);
  });

  it('should name queryTimeoutMs for a query the client gave up on, and pass other errors through', () => {
    const timeouts = { connectTimeoutMs: 1, statementTimeoutMs: 2, queryTimeoutMs: 3 };
    const explained = explainTimeout(new Error('Query read timeout'), timeouts) as Error;
    expect(explained.message).toBe('PostgreSQL did not answer a query within queryTimeoutMs (3 ms)');
    expect(explained.cause).toEqual(new Error('Query read timeout'));
    const other = new Error('boom');
    expect(explainTimeout(other, timeouts)).toBe(other);
    expect(explainTimeout('text', timeouts)).toBe('text');
  });
});

describeIfPostgres('PostgresStore statement timeout', () => {
  it('should name statementTimeoutMs when the server cancels a statement that waits too long', async () => {
    const schema = uniqueSchema();
    // Long enough for init's DDL on a loaded CI machine (200 ms was not), short next to the lock's wait.
    const store = await PostgresStore.open({ url: POSTGRES_TEST_URL, schema, timeouts: { statementTimeoutMs: 1500 } });
    const blocker = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    try {
      await store.init(LAYOUT);
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE "${schema}".facts IN ACCESS EXCLUSIVE MODE`);

      await expect(store.factCount()).rejects.toThrow('PostgreSQL cancelled a statement that did not finish within statementTimeoutMs (1500 ms)');
      await blocker.query('COMMIT');
      await expect(store.factCount()).resolves.toBe(0); // the pool is still usable
    } finally {
      await blocker.end();
      await store.close();
      await dropSchemas(schema);
    }
  });
});
