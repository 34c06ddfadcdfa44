/**
 * The load generators' websocket client: RFC 6455 over a raw TCP socket, only what a graphql-ws client
 * needs (text messages, ping/pong, close), so that a generator spends its CPU on matching and timing
 * events rather than on the `ws` package's per-message stream machinery. At 10,000 clients × 10 events/s
 * the generators share the machine's two cores with the gateway: every microsecond they spend per
 * delivery is taken from the gateway being measured.
 *
 * Reads go through `net`'s `onread` (one buffer shared by every socket of the process, no stream
 * `data` events): a chunk's complete frames are parsed in place and only a partial frame at its end is
 * copied. Every frame is checked (final bit, opcode, length); anything else (a fragmented or binary
 * message, a masked frame from the server) fails the connection, so nothing is counted that a real
 * client would have refused. Outgoing frames are masked as RFC 6455 §5.3 requires of a client.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** What a connection reports; each is called on the socket's own I/O callback, `receivedAt` read once per chunk. */
export interface LeanWebSocketHandlers {
  /** The handshake completed with the asked subprotocol. */
  open(): void;
  /** One text message. */
  message(text: string, receivedAt: number): void;
  /** The connection ended: the server's close frame (code 1005 without one, 1006 when the socket just closed). */
  close(code: number, reason: string): void;
  /** The handshake or a frame was refused, or the socket failed; `close` follows. */
  error(error: Error): void;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** One read buffer for every socket of the process: `onread` callbacks run one at a time. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export class LeanWebSocket {
  private readonly socket: Socket;
  private readonly key = randomBytes(16).toString('base64');
  /** Bytes of an incomplete handshake response or frame, kept between reads. */
  private pending: Buffer | undefined;
  private upgraded = false;
  private closed = false;
  private closeSent = false;
  private closeFrame: { code: number; reason: string } | undefined;

  constructor(
    url: string,
    private readonly protocol: string,
    private readonly handlers: LeanWebSocketHandlers,
    private readonly now: () => number,
  ) {
    const { hostname, port, pathname, search } = new URL(url);
    this.socket = connect({
      host: hostname,
      port: Number(port),
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (bytes) => this.onRead(READ_BUFFER.subarray(0, bytes)) },
    });
    this.socket.on('connect', () =>
      this.socket.write(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
      ),
    );
    this.socket.on('error', (error) => this.handlers.error(error));
    this.socket.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.handlers.close(this.closeFrame?.code ?? 1006, this.closeFrame?.reason ?? '');
    });
  }

  /** The local port of the connection (to find it in /proc/net/tcp). */
  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one text message (masked). */
  send(text: string): void {
    if (!this.socket.writable) return;
    this.socket.write(frame(OPCODE.text, Buffer.from(text)));
  }

  /** Stops reading: the kernel buffers fill, then the server's queue for this connection does. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Sends a close frame and ends the socket once the server's comes back (or at once if it cannot). */
  close(code = 1000): void {
    if (!this.socket.writable) return void this.socket.destroy();
    if (this.closeSent) return;
    this.closeSent = true;
    const payload = Buffer.allocUnsafe(2);
    payload.writeUInt16BE(code, 0);
    this.socket.write(frame(OPCODE.close, payload));
  }

  terminate(): void {
    this.socket.destroy();
  }

  private fail(message: string): void {
    this.handlers.error(new Error(message));
    this.socket.destroy();
  }

  private onRead(chunk: Buffer): boolean {
    const receivedAt = this.now();
    let data = chunk;
    if (this.pending) {
      data = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let offset = 0;
    if (!this.upgraded) {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) {
        this.pending = Buffer.from(data);
        return true;
      }
      const head = data.toString('latin1', 0, end);
      const accept = createHash('sha1')
        .update(this.key + GUID)
        .digest('base64');
      if (!head.startsWith('HTTP/1.1 101')) return (void this.fail(`handshake refused: ${head.split('\r\n')[0]}`), false);
      if (!new RegExp(`^sec-websocket-accept: *${accept.replace(/[+/=]/g, '\\$&')}\\s*$`, 'im').test(head))
        return (void this.fail('bad Sec-WebSocket-Accept'), false);
      if (!new RegExp(`^sec-websocket-protocol: *${this.protocol}\\s*$`, 'im').test(head))
        return (void this.fail(`subprotocol ${this.protocol} not accepted`), false);
      this.upgraded = true;
      offset = end + 4;
      this.handlers.open();
    }
    while (offset < data.length) {
      if (data.length - offset < 2) break;
      const first = data[offset];
      const second = data[offset + 1];
      if (second & 0x80) return (void this.fail('masked frame from the server'), false);
      let length = second & 0x7f;
      let start = offset + 2;
      if (length === 126) {
        if (data.length - offset < 4) break;
        length = data.readUInt16BE(offset + 2);
        start = offset + 4;
      } else if (length === 127) {
        if (data.length - offset < 10) break;
        length = data.readUInt32BE(offset + 2) * 2 ** 32 + data.readUInt32BE(offset + 6);
        start = offset + 10;
      }
      if (data.length - start < length) break;
      const opcode = first & 0x0f;
      if (!(first & 0x80) || opcode === OPCODE.continuation || opcode === OPCODE.binary)
        return (void this.fail(`unexpected frame (byte 0x${first.toString(16)})`), false);
      const end = start + length;
      if (opcode === OPCODE.text) this.handlers.message(data.toString('utf8', start, end), receivedAt);
      else if (opcode === OPCODE.ping) this.socket.write(frame(OPCODE.pong, Buffer.from(data.subarray(start, end))));
      else if (opcode === OPCODE.close) {
        this.closeFrame = length >= 2 ? { code: data.readUInt16BE(start), reason: data.toString('utf8', start + 2, end) } : { code: 1005, reason: '' };
        // Answer the close frame, then the server ends the TCP connection.
        if (this.socket.writable && this.closeSent) this.socket.end();
        else if (this.socket.writable) this.socket.end(frame(OPCODE.close, Buffer.from(data.subarray(start, Math.min(end, start + 2)))));
        this.closeSent = true;
      } else if (opcode !== OPCODE.pong) return (void this.fail(`unknown opcode ${opcode}`), false);
      if (this.closed) return false;
      offset = end;
    }
    // `data` may be the shared read buffer: keep a copy of what is left.
    if (offset < data.length) this.pending = Buffer.from(data.subarray(offset));
    return true;
  }
}

/** A final, masked client frame (RFC 6455 §5.2) holding `payload`. */
function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(header + 4 + length);
  out[0] = 0x80 | opcode;
  if (length < 126) out[1] = 0x80 | length;
  else if (length < 65_536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    out.writeUInt32BE(length >>> 0, 6);
  }
  const mask = randomBytes(4);
  mask.copy(out, header);
  for (let i = 0; i < length; i += 1) out[header + 4 + i] = payload[i] ^ mask[i & 3];
  return out;
}
