import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Calls `callback` once, after the first response `server` finished sending, whatever its status. A
 * request whose client went away before its answer was sent (an aborted warm-up query, a probe cut short)
 * does not count: its response never finishes, and the next answered request calls it instead. The
 * gateway's code cache is written from here (scripts/gateway.ts), so it never hangs on the first request
 * getting its answer.
 */
export function afterFirstAnswer(server: Server, callback: () => void): void {
  let called = false;
  const answered = () => {
    if (called) return;
    called = true;
    server.off('request', onRequest);
    callback();
  };
  const onRequest = (_request: IncomingMessage, response: ServerResponse) => void response.once('finish', answered);
  server.on('request', onRequest);
}
