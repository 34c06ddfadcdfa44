import { ErrorCode } from '../../core/errors/ErrorCode.js';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { GraphQLError } from 'graphql';
import type { Principal } from '../auth/Principal.js';
import { limitError } from './limitError.js';

/** Per-principal request budget. */
export interface RateLimitConfig {
  /** Operations one principal may start per window (HTTP requests and websocket operations alike). */
  points: number;
  /** Window length in seconds (fixed windows, started by the principal's first operation). */
  windowSeconds: number;
  /**
   * Redis shared by every gateway replica (`redis://host:port/db`), so they hold one budget per
   * principal. While Redis is unreachable each replica falls back to an in-memory budget of the same
   * size (the limit then holds per replica), and logs it once per outage.
   * @default unset: in memory, per gateway process
   */
  redisUrl?: string;
  /** Prefix of the Redis keys. @default 'mesh:rate' */
  keyPrefix?: string;
}

/** Spends budget; resolves to the refusal (429 with Retry-After) or null. */
export interface RateLimiter {
  consume(key: string): Promise<GraphQLError | null>;
  /**
   * Resolves once the budget's store is decided: at once in memory; with Redis, when it is ready or its
   * first connection attempt has failed (then counted in memory until it is back). Never rejects.
   */
  settled: Promise<void>;
  close(): Promise<void>;
}

/** The budget key of a caller: the token's `sub`, else the client address. */
export function rateLimitKey(principal: Principal, clientAddress: string | undefined): string {
  if (principal.authenticated && principal.sub) return `sub:${principal.sub}`;
  return `ip:${(clientAddress ?? 'unknown').replace(/^::ffff:/, '')}`;
}

/**
 * Builds the limiter; with a Redis URL it connects in the background (no failure at start: `settled`
 * says when the first attempt is over, which the gateway waits for before it listens, so replicas share
 * one budget from their first request when Redis is up). The Redis client is imported only then (a
 * gateway without Redis never loads it); until it is loaded the budget is counted in memory, as during
 * any Redis outage.
 */
export function createRateLimiter(config: RateLimitConfig, log: (message: string) => void = () => {}): RateLimiter {
  const { points, windowSeconds: duration, redisUrl, keyPrefix = 'mesh:rate' } = config;
  const memory = new RateLimiterMemory({ points, duration, keyPrefix });
  let redis: Redis | null = null;
  let limiter: RateLimiterAbstract = memory;
  let closed = false;
  let settle: () => void = () => undefined;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const connect = (url: string, Redis: typeof import('ioredis').Redis) => {
    if (closed) return settle();
    // No offline queue and no retries per command: while Redis is down a request must not wait for
    // it, it goes to the in-memory insurance limiter at once.
    const client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(100 * times, 2_000),
    });
    let down = false;
    client.on('error', (error: Error) => {
      settle();
      if (down) return;
      down = true;
      log(`rate limits: Redis at ${new URL(url).host} is unreachable (${error.message}); each gateway now counts in memory until it is back`);
    });
    client.on('ready', () => {
      settle();
      if (down) log('rate limits: Redis is back; the budget is shared again');
      down = false;
    });
    redis = client;
    limiter = new RateLimiterRedis({ storeClient: client, keyPrefix, points, duration, rejectIfRedisNotReady: true, insuranceLimiter: memory });
  };
  if (redisUrl)
    void import('ioredis').then(
      ({ Redis }) => connect(redisUrl, Redis),
      (error: Error) => {
        settle();
        log(`rate limits: the Redis client could not be loaded (${error.message}); each gateway counts in memory`);
      },
    );
  else settle();
  return {
    settled,
    async consume(key) {
      try {
        await limiter.consume(key);
        return null;
      } catch (outcome) {
        if (!(outcome instanceof RateLimiterRes)) throw outcome;
        const seconds = Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
        return limitError(ErrorCode.REQUEST_RATE_LIMITED, `Too many requests: ${points} operations per ${duration} s; retry after ${seconds} s.`, {
          headers: { 'retry-after': String(seconds) },
          details: { retryAfterSeconds: seconds },
        });
      }
    },
    async close() {
      closed = true;
      settle();
      redis?.disconnect();
    },
  };
}
