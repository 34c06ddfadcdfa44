import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { wrapAsyncIterator } from '../../../core/async/wrapAsyncIterator.js';

/**
 * graphql-js `subscribe`, except that every event is executed with its own context value: the operation's
 * context is made once per websocket operation, and executing every event with it would let per-request
 * caches (DataLoaders) answer later events with what the first event read (issue #9: `product.stock`
 * stayed 12 while `onHand` went 12 → 10 → 15).
 *
 * `contextFor` gets the event's root value and returns the context to execute it with; a throw ends the
 * subscription with that error (graphql-ws reports it to the client).
 */
export async function subscribePerEvent(
  args: ExecutionArgs,
  contextFor: (payload: unknown) => unknown,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in Object(source))) return source as ExecutionResult;
  const events = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  return wrapAsyncIterator<ExecutionResult>(events, async () => {
    const step = await events.next();
    if (step.done) return { value: undefined, done: true };
    try {
      return { value: await execute({ ...args, rootValue: step.value, contextValue: contextFor(step.value) }), done: false };
    } catch (error) {
      await events.return?.();
      throw error;
    }
  });
}
