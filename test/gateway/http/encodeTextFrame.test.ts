/**
 * The frames the subscription fan-out writes beside `ws` must be byte for byte what `ws` itself would
 * send for the same message (server side: final, text, unmasked), at each of the three length encodings.
 */
import WebSocket from 'ws';
import { encodeTextFrame, encodeTextFrames } from '../../../gateway/http/encodeTextFrame.js';

/** ws's own framing (exported at run time, not in its types). */
const { Sender } = WebSocket as unknown as {
  Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
};

describe('encodeTextFrame', () => {
  it.each([36, 125, 126, 200, 65_535, 65_536, 300_000])('should equal the frame ws sends for a %i-byte message', (length) => {
    const head = Buffer.from('{"id":"1","type":"next","payload":');
    const tail = Buffer.from('}');
    const body = Buffer.alloc(length - head.length - tail.length, 'x');
    const message = Buffer.concat([head, body, tail]);
    const expected = Buffer.concat(Sender.frame(message, { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));
    expect(message.length).toBe(length);
    expect(encodeTextFrame(head, body, tail).equals(expected)).toBe(true);
  });

  it('should write several messages back to back, each the frame ws sends for it', () => {
    const tail = Buffer.from('}');
    const parts = [
      [Buffer.from('{"id":"a","type":"next","payload":'), Buffer.alloc(10, 'x')],
      [Buffer.from('{"id":"bb","type":"next","payload":'), Buffer.alloc(200, 'y')],
      [Buffer.from('{"id":"c","type":"next","payload":'), Buffer.alloc(70_000, 'z')],
    ];
    const expected = Buffer.concat(
      parts.flatMap(([head, body]) => Sender.frame(Buffer.concat([head, body, tail]), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false })),
    );
    expect(encodeTextFrames(parts.flat(), tail).equals(expected)).toBe(true);
    expect(encodeTextFrames([], tail)).toHaveLength(0);
  });

  it('should put a prefix of complete frames (a ping) in front, as it is', () => {
    const head = Buffer.from('{"id":"1","type":"next","payload":');
    const tail = Buffer.from('}');
    const body = Buffer.from('{"data":{"n":1}}');
    const ping = Buffer.from([0x89, 0x00]);
    const one = encodeTextFrame(head, body, tail);
    expect(encodeTextFrame(head, body, tail, ping).equals(Buffer.concat([ping, one]))).toBe(true);
    expect(encodeTextFrames([head, body, head, body], tail, ping).equals(Buffer.concat([ping, one, one]))).toBe(true);
  });
});
