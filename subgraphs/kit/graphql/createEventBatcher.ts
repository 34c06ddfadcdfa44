import type { BusMessage } from '../bus/Bus.js';

interface Waiting<Message, Value> {
  message: BusMessage<Message>;
  resolve(value: Value): void;
  reject(error: unknown): void;
}

/** The events of one sharing key: those waiting for a batch, and whether a batch of the key is being computed. */
interface KeyQueue<Args, Message, Value> {
  args: Args;
  waiting: Array<Waiting<Message, Value>>;
  computing: boolean;
}

/**
 * Collects the events asked for per sharing key and computes them with one `events` call per batch of at
 * most `maxBatch`, one batch of a key at a time: events asked for while a key's batch is being computed
 * wait and go together in the key's next batch, so under load batches grow by themselves and a stream
 * of events arriving one per turn costs one store read per batch, not one each (issue #9: 100 facts/s,
 * each event its own read, queued on the store's read connection for seconds).
 *
 * A key's first batch is started on `setImmediate`, after the promise jobs of the turn, so every event the
 * backlog made ready in that turn is in it.
 */
export function createEventBatcher<Args, Message, Value>(
  events: (messages: ReadonlyArray<BusMessage<Message>>, args: Args) => Promise<Value[]>,
  maxBatch: number,
): (shareKey: string, message: BusMessage<Message>, args: Args) => Promise<Value> {
  const size = Math.max(1, Math.floor(maxBatch));
  const keys = new Map<string, KeyQueue<Args, Message, Value>>();
  const due = new Set<string>();
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const starting = [...due];
    due.clear();
    for (const shareKey of starting) startBatch(shareKey);
  };

  const startBatch = (shareKey: string) => {
    const queue = keys.get(shareKey);
    if (!queue || queue.computing) return;
    if (queue.waiting.length === 0) {
      keys.delete(shareKey);
      return;
    }
    queue.computing = true;
    void computeBatch(queue.args, queue.waiting.splice(0, size)).finally(() => {
      queue.computing = false;
      startBatch(shareKey);
    });
  };

  const computeBatch = async (args: Args, batch: Array<Waiting<Message, Value>>) => {
    try {
      const values = await events(
        batch.map((entry) => entry.message),
        args,
      );
      if (values.length !== batch.length) throw new Error(`events() returned ${values.length} values for ${batch.length} messages`);
      batch.forEach((entry, index) => entry.resolve(values[index]));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  };

  return (shareKey, message, args) =>
    new Promise<Value>((resolve, reject) => {
      let queue = keys.get(shareKey);
      if (!queue) keys.set(shareKey, (queue = { args, waiting: [], computing: false }));
      queue.waiting.push({ message, resolve, reject });
      if (queue.computing) return; // taken by the key's next batch, when this one is done
      due.add(shareKey);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
