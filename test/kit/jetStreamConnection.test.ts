/**
 * NATS connection bounds (issue #12): an unreachable server is one line naming it and `MESH_BUS`; a
 * server that stays away past the reconnect bound ends the connection with an error naming
 * `MESH_NATS_RECONNECT_ATTEMPTS`, and a requested close is never reported as a loss.
 */
import { connectNats } from '../../subgraphs/kit/bus/jetStreamConnection.js';
import { MeshError } from '../../core/errors/MeshError.js';
import { withTimeout } from '../support/asyncWait.js';
import { refusedUrl } from '../support/refusedUrl.js';
import { natsServerBinaryExists, startPrivateNatsServer } from '../support/natsAvailable.js';

describe('connectNats', () => {
  it('should refuse an unreachable server with one line naming it and MESH_BUS', async () => {
    const url = `nats://127.0.0.1:${new URL(await refusedUrl()).port}`;
    const failure = await connectNats({ servers: url, name: 'test' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MeshError);
    expect((failure as MeshError).code).toBe('STORE_UNAVAILABLE');
    expect((failure as MeshError).message).toMatch(
      /^NATS at nats:\/\/127\.0\.0\.1:\d+ is not reachable \(.+\); start it, or point MESH_BUS at a running server$/,
    );
  });

  const withServer = natsServerBinaryExists() ? it : it.skip;
  withServer(
    'should give up after the reconnect bound with an error naming MESH_NATS_RECONNECT_ATTEMPTS',
    async () => {
      const server = await startPrivateNatsServer();
      try {
        const { connection, lost } = await connectNats({ servers: server.url, name: 'test', maxReconnectAttempts: 2, maxReconnectDelayMs: 50 });
        await server.kill();
        const error = await withTimeout(lost, 'the connection to give up', 15_000);
        expect(error.message).toMatch(
          /^NATS at nats:\/\/127\.0\.0\.1:\d+ stayed unreachable for 2 reconnect attempts \(.+\); raise MESH_NATS_RECONNECT_ATTEMPTS \(-1: forever\) or check MESH_BUS$/,
        );
        expect(connection.isClosed()).toBe(true);
      } finally {
        await server.dispose();
      }
    },
    30_000,
  );

  withServer(
    'should not report a requested close as lost',
    async () => {
      const server = await startPrivateNatsServer();
      try {
        const { connection, lost } = await connectNats({ servers: server.url, name: 'test' });
        let reported = false;
        void lost.then(() => (reported = true));
        await connection.drain();
        await connection.closed();
        await new Promise((resolve) => setImmediate(resolve));
        expect(reported).toBe(false);
      } finally {
        await server.dispose();
      }
    },
    30_000,
  );
});
