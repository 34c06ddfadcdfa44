/**
 * One unmasked, final RFC 6455 text frame holding `head`, `body` and `tail` (in that order) as one
 * buffer: what a server writes for one websocket message (RFC 6455 §5.2; servers never mask). The
 * subscription fan-out writes a group's payload to every client's socket this way (`useGraphqlWs`): the
 * JSON is encoded once per event and only the few bytes of each client's `id` differ, so a delivery is
 * one copy of a few hundred bytes and one socket write instead of a `ws` send (a UTF-8 encoding, a header
 * allocation, a corked two-buffer write and a callback per client).
 */
export function encodeTextFrame(head: Uint8Array, body: Uint8Array, tail: Uint8Array): Buffer {
  const length = head.length + body.length + tail.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81; // FIN + text
  if (length < 126) frame[1] = length;
  else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.set(head, headerLength);
  frame.set(body, headerLength + head.length);
  frame.set(tail, headerLength + head.length + body.length);
  return frame;
}
