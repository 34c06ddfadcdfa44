/**
 * One unmasked, final RFC 6455 text frame holding `head`, `body` and `tail` (in that order) as one
 * buffer: what a server writes for one websocket message (RFC 6455 §5.2; servers never mask). The
 * subscription fan-out writes a group's payload to every client's socket this way (`useGraphqlWs`): the
 * JSON is encoded once per event and only the few bytes of each client's `id` differ, so a delivery is
 * one copy of a few hundred bytes and one socket write instead of a `ws` send (a UTF-8 encoding, a header
 * allocation, a corked two-buffer write and a callback per client). `prefix` (complete frames, e.g. a
 * ping riding along) goes in front, as it is.
 */
const EMPTY = new Uint8Array(0);

export function encodeTextFrame(head: Uint8Array, body: Uint8Array, tail: Uint8Array, prefix: Uint8Array = EMPTY): Buffer {
  const length = head.length + body.length + tail.length;
  const frame = Buffer.allocUnsafe(prefix.length + headerLength(length) + length);
  frame.set(prefix, 0);
  const offset = writeHeader(frame, prefix.length, length);
  frame.set(head, offset);
  frame.set(body, offset + head.length);
  frame.set(tail, offset + head.length + body.length);
  return frame;
}

/**
 * Several text frames back to back in one buffer, one per `head`, `body` pair of `parts` (`[head0, body0,
 * head1, body1, …]`), each message being `head + body + tail`: the messages one connection gets in one
 * event loop turn, written with one system call (`createFrameBatcher`). `prefix` (complete frames, e.g. a
 * ping) goes first, as it is.
 */
export function encodeTextFrames(parts: readonly Uint8Array[], tail: Uint8Array, prefix: Uint8Array = EMPTY): Buffer {
  let size = prefix.length;
  for (let i = 0; i < parts.length; i += 2) {
    const length = parts[i].length + parts[i + 1].length + tail.length;
    size += headerLength(length) + length;
  }
  const frame = Buffer.allocUnsafe(size);
  frame.set(prefix, 0);
  let offset = prefix.length;
  for (let i = 0; i < parts.length; i += 2) {
    const head = parts[i];
    const body = parts[i + 1];
    const length = head.length + body.length + tail.length;
    offset = writeHeader(frame, offset, length);
    frame.set(head, offset);
    frame.set(body, offset + head.length);
    frame.set(tail, offset + head.length + body.length);
    offset += length;
  }
  return frame;
}

const headerLength = (length: number) => (length < 126 ? 2 : length < 65_536 ? 4 : 10);

/** Writes a frame header for a `length`-byte text message at `offset`; returns where the payload goes. */
function writeHeader(frame: Buffer, offset: number, length: number): number {
  frame[offset] = 0x81; // FIN + text
  if (length < 126) {
    frame[offset + 1] = length;
    return offset + 2;
  }
  if (length < 65_536) {
    frame[offset + 1] = 126;
    frame.writeUInt16BE(length, offset + 2);
    return offset + 4;
  }
  frame[offset + 1] = 127;
  frame.writeUInt32BE(Math.floor(length / 2 ** 32), offset + 2);
  frame.writeUInt32BE(length >>> 0, offset + 6);
  return offset + 10;
}
