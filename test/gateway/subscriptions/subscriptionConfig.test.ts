import { gatewayConfigFromEnv } from '../../../gateway/index.js';

describe('subscription settings from the environment', () => {
  it('should bound each websocket client at 1,000 messages and 4 MiB with a 1 s cut-off grace by default, and share groups per scope set', () => {
    const config = gatewayConfigFromEnv({});
    expect(config.outbound).toEqual({ maxMessages: 1000, maxBytes: 4 * 1024 * 1024, cutOffGraceMs: 1000 });
    expect(config.auth?.perSubjectSubgraphs).toEqual([]);
  });

  it('should read the bounds and the subgraphs that filter by subject', () => {
    const config = gatewayConfigFromEnv({
      MESH_WS_MAX_QUEUED_MESSAGES: '50',
      MESH_WS_MAX_QUEUED_BYTES: '65536',
      MESH_WS_CUTOFF_GRACE_MS: '250',
      MESH_SUBSCRIPTION_PER_SUBJECT: 'orders, shipping',
    });
    expect(config.outbound).toEqual({ maxMessages: 50, maxBytes: 65536, cutOffGraceMs: 250 });
    expect(config.auth?.perSubjectSubgraphs).toEqual(['orders', 'shipping']);
  });

  it.each([
    ['MESH_WS_MAX_QUEUED_MESSAGES', '0'],
    ['MESH_WS_MAX_QUEUED_BYTES', 'lots'],
    ['MESH_WS_CUTOFF_GRACE_MS', '-1'],
    ['MESH_SUBSCRIPTION_PER_SUBJECT', 'orders,no such'],
  ])('should refuse %s=%j naming the variable', (variable, value) => {
    expect(() => gatewayConfigFromEnv({ [variable]: value })).toThrow(new RegExp(`invalid ${variable}=`));
  });
});
