import type { BusMessage } from '../bus/Bus.js';

interface Waiting<Message, Value> {
  message: BusMessage<Message>;
  resolve(value: Value): void;
  reject(error: unknown): void;
}

/**
 * Collects the events asked for in one turn of the event loop, per sharing key, and computes them with one
 * `events` call per key (in chunks of `maxBatch`): a subscription working off a backlog asks for several
 * events at once (see `mapConcurrently`), and they cost one store read instead of one each.
 *
 * The batch is flushed on `setImmediate`, after the promise jobs of the turn, so every event the backlog
 * made ready in that turn is in it.
 */
export function createEventBatcher<Args, Message, Value>(
  events: (messages: ReadonlyArray<BusMessage<Message>>, args: Args) => Promise<Value[]>,
  maxBatch: number,
): (shareKey: string, message: BusMessage<Message>, args: Args) => Promise<Value> {
  const size = Math.max(1, Math.floor(maxBatch));
  const pending = new Map<string, { args: Args; waiting: Array<Waiting<Message, Value>> }>();
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batches = [...pending.values()];
    pending.clear();
    for (const { args, waiting } of batches) {
      for (let start = 0; start < waiting.length; start += size) void computeChunk(args, waiting.slice(start, start + size));
    }
  };

  const computeChunk = async (args: Args, chunk: Array<Waiting<Message, Value>>) => {
    try {
      const values = await events(
        chunk.map((entry) => entry.message),
        args,
      );
      if (values.length !== chunk.length) throw new Error(`events() returned ${values.length} values for ${chunk.length} messages`);
      chunk.forEach((entry, index) => entry.resolve(values[index]));
    } catch (error) {
      for (const entry of chunk) entry.reject(error);
    }
  };

  return (shareKey, message, args) =>
    new Promise<Value>((resolve, reject) => {
      let batch = pending.get(shareKey);
      if (!batch) pending.set(shareKey, (batch = { args, waiting: [] }));
      batch.waiting.push({ message, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
