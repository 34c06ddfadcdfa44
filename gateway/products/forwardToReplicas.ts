import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Response } from 'express';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { sendPortError } from './sendPortError.js';

/** One request of a port to a product's subgraph, tried on each replica in turn. */
export interface ReplicaRequest {
  /** The replicas' GraphQL URLs (`http://host:port/graphql`); the port's path is resolved beside it. */
  urls: readonly string[];
  /** The port's path relative to the subgraph's GraphQL path's folder (`sql`, `files/sales_hour.csv`). */
  path: string;
  /** Method, headers (the caller's signed identity) and body of the request. */
  init: RequestInit;
  /** The subgraph's answer headers passed on to the caller; nothing else (no server detail) is. */
  passedHeaders: readonly string[];
  /**
   * Decides on a subgraph's answer before it is streamed: a refusal to answer instead (the answer is
   * dropped), or null to pass the answer on, status and all.
   */
  refuse(upstream: globalThis.Response): Promise<{ code: ErrorCode; message: string } | null>;
  /** What is asked, for the log and the 502 message (`product "orders"`). */
  subject: string;
  /** Where failures to reach a replica go (the caller gets a coded 502 without addresses). */
  log: (message: string) => void;
}

/**
 * Forwards a port request to the first replica of a product that can be reached and streams its answer
 * back; a replica that cannot be reached is logged and the next one tried; none reached is a 502
 * `DOWNSTREAM_SERVICE_ERROR` that names no address.
 */
export async function forwardToReplicas(res: Response, request: ReplicaRequest): Promise<void> {
  const { urls, path, init, passedHeaders, refuse, subject, log } = request;
  for (const url of urls) {
    let upstream: globalThis.Response;
    try {
      upstream = await fetch(new URL(path, new URL('.', new URL(url))), init);
    } catch (error) {
      log(`${subject}: the subgraph at ${url} could not be reached: ${(error as Error).message}`);
      continue;
    }
    const refusal = upstream.body ? await refuse(upstream) : { code: ErrorCode.DOWNSTREAM_SERVICE_ERROR, message: `${subject} answered without a body` };
    if (refusal) {
      await upstream.body?.cancel().catch(() => {});
      return sendPortError(res, refusal.code, refusal.message);
    }
    res.status(upstream.status);
    for (const name of passedHeaders) {
      const value = upstream.headers.get(name);
      if (value !== null) res.setHeader(name, value);
    }
    try {
      await pipeline(Readable.fromWeb(upstream.body as WebReadableStream<Uint8Array>), res);
    } catch (error) {
      log(`${subject}: streaming the answer broke off: ${(error as Error).message}`);
      res.destroy();
    }
    return;
  }
  sendPortError(res, ErrorCode.DOWNSTREAM_SERVICE_ERROR, `${subject} could not be reached`);
}
