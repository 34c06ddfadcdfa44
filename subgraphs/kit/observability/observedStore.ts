import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { meshTracer } from '../../../core/observability/startTracing.js';
import type { Store } from '../store/Store.js';
import type { ProductMetrics } from './createProductMetrics.js';

/**
 * A store whose calls are timed (`mesh_data_product_store_duration_seconds`), traced (a `store.<method>`
 * span under the request being served; background calls with no active span make none), and counted:
 * facts applied and duplicates from `apply`, dead letters from `recordDeadLetter`. Every method runs on
 * the store itself (so its private state is untouched); the proxy only watches.
 */
export function observedStore(store: Store, metrics: ProductMetrics): Store {
  return watched(store, 'store', (method, seconds, outcome, args, result) => {
    metrics.storeCalled(method, seconds, outcome);
    if (outcome !== 'ok') return;
    if (method === 'apply') {
      const applied = (result as Awaited<ReturnType<Store['apply']>>).applied.length;
      metrics.factsApplied(applied, (args[0] as unknown[]).length - applied);
    } else if (method === 'recordDeadLetter') metrics.deadLettered();
  });
}

/** Called after each async method call of a watched object. */
export type CallWatcher = (method: string, seconds: number, outcome: 'ok' | 'error', args: unknown[], result: unknown) => void;

/**
 * A proxy of `target` whose promise-returning methods are spanned (`<kind>.<method>`) and reported to
 * `watch`. Synchronous results (iterators, getters) pass through untouched.
 */
export function watched<T extends object>(target: T, kind: string, watch: CallWatcher): T {
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        const parent = context.active();
        const span = trace.getSpan(parent) ? meshTracer().startSpan(`${kind}.${property}`, { attributes: { 'mesh.component': kind } }, parent) : null;
        const started = process.hrtime.bigint();
        const done = (outcome: 'ok' | 'error', result: unknown) => {
          if (outcome === 'error') span?.setStatus({ code: SpanStatusCode.ERROR });
          span?.end();
          try {
            watch(property, Number(process.hrtime.bigint() - started) / 1e9, outcome, args, result);
          } catch {
            // metrics must not fail a store call
          }
        };
        const method = value as (...params: unknown[]) => unknown;
        const call = (): unknown => method.apply(object, args);
        const result = span ? context.with(trace.setSpan(parent, span), call) : call();
        if (!(result instanceof Promise)) {
          span?.end();
          return result;
        }
        return result.then(
          (resolved: unknown) => {
            done('ok', resolved);
            return resolved;
          },
          (error: unknown) => {
            done('error', undefined);
            throw error;
          },
        );
      };
    },
  });
}
