/**
 * One group of clients asking for the same events (docs/architecture.md "Subscription groups"): one
 * upstream subscription, and per event one rest-of-plan execution (the entity fetches to other
 * subgraphs), one scope step (the authorization replay) and one JSON encoding, whatever the number of
 * clients. Only the delivery is per client (`ClientStream.deliver`: its expiry check, its socket write).
 */
import type { ServiceMap } from '@apollo/gateway';
import { GraphQLError, type ExecutionResult, type FormattedExecutionResult } from 'graphql';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import type { ClientStream } from './ClientStream.js';
import { coalesceEntityFetches } from './coalesceEntityFetches.js';
import { eventFrame, type EventFrame } from './EventFrame.js';
import type { UpstreamPool, UpstreamSubscriptionRequest } from './createUpstreamPool.js';
import type { SubscriptionPlan } from './planSubscription.js';
import { resolveEventFields } from './resolveEventFields.js';
import type { SubscriptionScope } from './SubscriptionScope.js';
import { toUpstreamErrors } from './toUpstreamErrors.js';

/** What the group reports after each event, for metrics. */
export interface GroupEventInfo {
  /** Clients the payload was handed to. */
  clients: number;
  /** From the upstream event's arrival to the last client's hand-over. */
  durationMs: number;
}

export interface SubscriptionGroupOptions {
  plan: SubscriptionPlan;
  /** Data sources for the entity fetches of the plan's rest. */
  dataSources: ServiceMap;
  /** The group's context, handed to data sources (the group's identity, never one client's). */
  context: Record<string, unknown>;
  /** Makes each event's context from `context` (`SubscriptionExecutorOptions.eventContext`). @default none: `context` itself */
  eventContext?: (context: Record<string, unknown>) => Record<string, unknown>;
  /** An event context's request deadline (`SubscriptionExecutorOptions.eventDeadline`). @default none */
  eventDeadline?: (context: unknown) => number | undefined;
  transform?: SubscriptionScope['transform'];
  pool: UpstreamPool;
  upstream: UpstreamSubscriptionRequest;
  /** Called once when the group ends (last client left, or the upstream ended). */
  onClose(): void;
  /** Called after each payload is handed to every client. A throw is ignored. */
  onEvent?(info: GroupEventInfo): void;
  /**
   * Called for each payload with errors handed to the clients: the errors' public codes and how many
   * clients got it (errors returned to clients, as an operation's are counted). A throw is ignored.
   */
  onErrors?(codes: readonly string[], clients: number): void;
}

export interface SubscriptionGroup {
  /** Adds a client; it gets every payload from the next event on. */
  join(client: ClientStream): void;
  /** Removes a client; the last one to leave ends the upstream subscription. */
  leave(client: ClientStream): void;
  readonly clients: number;
  /** Ends every client's stream (and so the group). */
  end(): void;
}

/**
 * Events of one group whose rest of plan runs at once; more wait for a slot. Their entity fetches asked in
 * one turn go out as one request per subgraph (`coalesceEntityFetches`), so this is also the largest batch.
 */
const MAX_EVENTS_IN_FLIGHT = 64;

const internalError = (error: unknown) =>
  new GraphQLError('Could not complete the subscription event.', {
    originalError: error instanceof Error ? error : undefined,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  });

export function createSubscriptionGroup(options: SubscriptionGroupOptions): SubscriptionGroup {
  const { plan, context, eventContext, transform, pool, upstream, onClose, onEvent, onErrors } = options;
  const dataSources = coalesceEntityFetches(options.dataSources, options.eventDeadline);
  const { serviceName } = upstream;
  const members = new Set<ClientStream>();
  let closed = false;

  // The plan's order is the first client's: members with another get the data reordered, once per order.
  const planOrder = plan.order.key;
  const broadcast = (frame: EventFrame) => {
    const { data, errors } = frame.result;
    if (errors?.length && onErrors)
      try {
        onErrors(
          errors.map((error) => (typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR')),
          members.size,
        );
      } catch {
        // metrics must not break delivery
      }
    const nowMs = Date.now();
    let reordered: Map<string, EventFrame> | undefined;
    // Deleting from a Set while iterating it is safe (a member that ends leaves), and nothing joins meanwhile.
    for (const member of members) {
      const order = member.order;
      if (!data || !order || order.key === planOrder) member.deliver(frame, nowMs);
      else {
        reordered ??= new Map();
        let own = reordered.get(order.key);
        if (!own) reordered.set(order.key, (own = eventFrame({ ...frame.result, data: order.reorder(data) })));
        member.deliver(own, nowMs);
      }
    }
  };
  const endAll = () => {
    for (const member of members) member.end();
  };
  // Payloads are handed over one after another so every client sees them in upstream order.
  let delivered = Promise.resolve();
  const inOrder = (step: () => Promise<void> | void) => {
    delivered = delivered.then(step).catch((error: unknown) => {
      broadcast(eventFrame({ errors: [internalError(error)] }));
      endAll();
    });
  };

  const close = () => {
    if (closed) return;
    closed = true;
    detach();
    onClose();
  };

  // The rest of the plan runs for several events at once (a round trip to other subgraphs per event
  // would otherwise cap a group at one event per round trip), but payloads go out in upstream order.
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  const acquire = (): Promise<void> | undefined => {
    if (inFlight < MAX_EVENTS_IN_FLIGHT) {
      inFlight += 1;
      return undefined;
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  // A freed slot goes straight to the oldest waiting event, so the count never overshoots.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else inFlight -= 1;
  };
  const resolve = async (event: FormattedExecutionResult): Promise<{ result: ExecutionResult; last: boolean }> => {
    await acquire();
    try {
      const result = await resolveEventFields({ plan, event, dataSources, context, eventContext });
      return transform ? { last: false, ...(await transform(result)) } : { result, last: false };
    } finally {
      release();
    }
  };

  const detach = pool.attach(upstream, {
    next: (event) => {
      if (closed) return;
      const started = performance.now();
      // No data at all is the subgraph refusing the subscription itself (graphql-js `subscribe`
      // errors): report it and end, as graphql-js would for a local schema.
      if (event.data == null) {
        inOrder(() => {
          broadcast(eventFrame({ errors: toUpstreamErrors(serviceName, event.errors ?? []) }));
          endAll();
        });
        return;
      }
      const resolved = resolve(event);
      // Handled by its turn in `inOrder`; until then a rejection must not count as unhandled.
      resolved.catch(() => undefined);
      inOrder(async () => {
        const { result, last } = await resolved;
        if (closed) return;
        const clients = members.size;
        broadcast(eventFrame(result));
        if (last) endAll();
        try {
          onEvent?.({ clients, durationMs: performance.now() - started });
        } catch {
          // metrics must not break delivery
        }
      });
    },
    error: (errors) =>
      inOrder(() => {
        broadcast(eventFrame({ errors }));
        endAll();
      }),
    complete: () => inOrder(endAll),
    eventsMissed: (error) => inOrder(() => broadcast(eventFrame({ errors: [error] }))),
  });

  return {
    join(client) {
      members.add(client);
    },
    leave(client) {
      members.delete(client);
      if (members.size === 0) close();
    },
    get clients() {
      return members.size;
    },
    end: endAll,
  };
}
