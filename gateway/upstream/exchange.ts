import type { IncomingHttpHeaders } from 'node:http';
import { util, type Dispatcher } from 'undici';

/** One HTTP exchange's answer, read to the end. */
export interface ExchangeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** The reason an answer longer than the exchange's `maxBytes` is aborted and rejected with. */
export class ExchangeTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`the answer is longer than ${maxBytes} bytes`);
    this.name = 'ExchangeTooLarge';
  }
}

/** The reason a cut-off exchange is aborted with (the caller reports its own timeout error). */
class ExchangeCutOff extends Error {
  constructor() {
    super('the subgraph request was cut off');
    this.name = 'ExchangeCutOff';
  }
}

/**
 * Sends one request through an undici dispatcher (a subgraph origin's pool) and reads the whole answer
 * as text, cut off after `budget` ms (queueing for a connection, connecting, headers and body: one
 * timer) or when `signal` aborts; `onCutOff` is called first when it is cut off, then the promise rejects.
 * An answer longer than `maxBytes` (by its `content-length`, or once that many bytes came) is aborted
 * there and rejects with `ExchangeTooLarge`: nothing more of it is read or kept.
 *
 * A raw dispatch handler rather than `Dispatcher.request` (issue #11, the per-request CPU of the
 * gateway): that API wraps every answer in a Readable stream, an AsyncResource and an abort listener
 * only for the body to be read to the end at once, a fifth of the HTTP client's CPU per subgraph
 * request. The answer is the one `request` + `body.text()` give: headers parsed by undici's own
 * `util.parseHeaders`, the body decoded as UTF-8 without a leading byte order mark. Errors are undici's
 * (connection failures keep their codes).
 */
export function exchange(
  dispatcher: Dispatcher,
  options: { path: string; method: 'POST'; headers: Record<string, string>; body: string },
  budget: number,
  signal: AbortSignal | undefined,
  onCutOff: () => void,
  maxBytes: number = Infinity,
): Promise<ExchangeResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let abortExchange: ((reason: Error) => void) | null = null;
    let cutOff: Error | null = null;
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    let length = 0;

    const settle = (error: Error | null, response?: ExchangeResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', cut);
      if (error) reject(error);
      else resolve(response!);
    };
    // Cut off: the caller learns at once, even while the request still waits for a connection.
    function cut() {
      if (settled || cutOff) return;
      cutOff = new ExchangeCutOff();
      onCutOff();
      abortExchange?.(cutOff);
      settle(cutOff);
    }
    // Too long: stop reading (the connection is closed, not reused) and keep nothing.
    const refuse = (abort: ((reason: Error) => void) | null) => {
      const tooLarge = new ExchangeTooLarge(maxBytes);
      chunks.length = 0;
      settle(tooLarge);
      abort?.(tooLarge);
      return false;
    };
    const timer = setTimeout(cut, budget);
    if (signal?.aborted) return cut();
    signal?.addEventListener('abort', cut, { once: true });

    const handler: Dispatcher.DispatchHandler = {
      onConnect(abort) {
        if (cutOff) return abort(cutOff);
        abortExchange = abort;
      },
      onHeaders(statusCode, rawHeaders) {
        // 1xx answers come before the real one.
        if (statusCode < 200) return true;
        status = statusCode;
        headers = util.parseHeaders(rawHeaders);
        if (Number(headers['content-length']) > maxBytes) return refuse(abortExchange);
        return true;
      },
      onData(chunk) {
        if (settled) return false;
        length += chunk.length;
        if (length > maxBytes) return refuse(abortExchange);
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        if (settled) return;
        const buffer = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
        // undici's `body.text()` skips a UTF-8 byte order mark: so does this.
        const start = buffer.length > 2 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
        settle(null, { status, headers, text: buffer.toString('utf8', start) });
      },
      onError(error) {
        settle(cutOff ?? error);
      },
    };
    dispatcher.dispatch(options, handler);
  });
}
