import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { meshTracer } from '../../../core/observability/meshTracer.js';
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
 * A stand-in for `target` whose promise-returning methods are spanned (`<kind>.<method>`) and reported
 * to `watch`; synchronous results (iterators) pass through. It inherits from `target` (`instanceof` and
 * every other property still work) and calls each method on `target` itself, so the object's own state
 * is untouched; its methods are own properties, so a test can still spy on them.
 */
export function watched<T extends object>(target: T, kind: string, watch: CallWatcher): T {
  const stand = Object.create(target) as T;
  for (const name of methodNames(target)) {
    const method = (target as Record<string, unknown>)[name] as (...params: unknown[]) => unknown;
    Object.defineProperty(stand, name, {
      configurable: true,
      writable: true,
      value: (...args: unknown[]) => {
        const parent = context.active();
        const span = trace.getSpan(parent) ? meshTracer().startSpan(`${kind}.${name}`, { attributes: { 'mesh.component': kind } }, parent) : null;
        const started = process.hrtime.bigint();
        const done = (outcome: 'ok' | 'error', result: unknown) => {
          if (outcome === 'error') span?.setStatus({ code: SpanStatusCode.ERROR });
          span?.end();
          try {
            watch(name, Number(process.hrtime.bigint() - started) / 1e9, outcome, args, result);
          } catch {
            // metrics must not fail a store call
          }
        };
        const call = (): unknown => method.apply(target, args);
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
      },
    });
  }
  return stand;
}

/** Names of the functions `target` has, own or inherited from its classes (not from Object). */
function methodNames(target: object): string[] {
  const names = new Set<string>();
  for (let level: object | null = target; level && level !== Object.prototype; level = Object.getPrototypeOf(level) as object | null) {
    for (const name of Object.getOwnPropertyNames(level)) {
      if (name === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(level, name);
      if (descriptor && typeof descriptor.value === 'function') names.add(name);
    }
  }
  return [...names];
}
