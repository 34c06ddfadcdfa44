import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';

/** Options of {@link amqpConfirmChannel}. */
export interface AmqpConfirmChannelOptions {
  /** `amqp://user:password@host:port[/vhost]`. */
  url: string;
  /**
   * Declares what the channel needs (exchanges, queues, prefetch, consumers) on the first connection and
   * again on every recovered one. A throw fails the first connection (then `amqpConfirmChannel` rejects)
   * or that recovery attempt (amqplib tries again).
   */
  setup(channel: ConfirmChannel): Promise<void>;
  /** Told about connection failures (amqplib recovers by itself). @default ignores them */
  onError?: (error: unknown) => void;
}

/** One recovering AMQP connection with one confirm channel. */
export interface AmqpConfirmChannel {
  /** The open channel, or null while the connection is down or recovering. */
  readonly current: ConfirmChannel | null;
  close(): Promise<void>;
}

/**
 * The AMQP connection of the event sink and of the fact source: amqplib's connection recovery
 * (200 ms doubling to 5 s; 3 tries for the first connection) with a confirm channel that `setup`
 * prepares after each (re)connection. `current` is null from a channel's close until the next is ready,
 * so nobody publishes or acknowledges on a dead channel.
 */
export async function amqpConfirmChannel(options: AmqpConfirmChannelOptions): Promise<AmqpConfirmChannel> {
  const { url, setup, onError = () => undefined } = options;
  let channel: ConfirmChannel | null = null;
  const connection = await amqp.connect(url, {
    recovery: {
      initialDelay: 200,
      maxDelay: 5_000,
      initialMaxRetries: 3,
      async setup(model: ChannelModel) {
        const created = await model.createConfirmChannel();
        // Channel errors also close the connection's channel: recovery handles it, the close event tells us.
        created.on('error', () => undefined);
        created.on('close', () => {
          if (channel === created) channel = null;
        });
        await setup(created);
        channel = created;
      },
    },
  });
  connection.on('error', (error: Error) => onError(error));
  return {
    get current() {
      return channel;
    },
    async close() {
      channel = null;
      await connection.close().catch(() => undefined);
    },
  };
}
