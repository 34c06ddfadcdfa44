import { ClientStream, type EventFrame } from '../../../gateway/subscriptions/index.js';
import { eventFrame } from '../../../gateway/subscriptions/EventFrame.js';

const frame = (n: number): EventFrame => eventFrame({ data: { n } });

describe('ClientStream', () => {
  it('should yield delivered results in order, then end', async () => {
    let closes = 0;
    const stream = new ClientStream(() => void closes++);
    const first = stream.next();
    stream.deliver(frame(1));
    stream.deliver(frame(2));
    expect(await first).toEqual({ done: false, value: { data: { n: 1 } } });
    expect(await stream.next()).toEqual({ done: false, value: { data: { n: 2 } } });
    const pending = stream.next();
    stream.end();
    stream.end();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(closes).toBe(1);
  });

  it('should hand frames to a sink once one takes over, buffered ones first, and yield nothing', async () => {
    const stream = new ClientStream(() => {});
    stream.deliver(frame(1));
    const written: string[] = [];
    stream.deliverTo({ write: (f) => void written.push(f.json) });
    stream.deliver(frame(2));
    expect(written).toEqual(['{"data":{"n":1}}', '{"data":{"n":2}}']);
    expect(stream.size).toBe(0);
    const ended = stream.next();
    let ends = 0;
    stream.onEnd(() => void ends++);
    await stream.return();
    expect(await ended).toEqual({ done: true, value: undefined });
    stream.onEnd(() => void ends++);
    expect(ends).toBe(2);
  });

  it('should end a client whose check says it expired, after telling it, even if the hook throws', async () => {
    let expired = false;
    let told = 0;
    const stream = new ClientStream(() => {}, {
      expired: () => expired,
      onExpired: () => {
        told++;
        throw new Error('adapter failed');
      },
    });
    stream.deliver(frame(1));
    expired = true;
    stream.deliver(frame(2));
    stream.deliver(frame(3));
    expect(await stream.next()).toEqual({ done: false, value: { data: { n: 1 } } });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(told).toBe(1);
  });

  it('should end a client at its known deadline on the time the group read, without asking its check', () => {
    let told = 0;
    const stream = new ClientStream(() => {}, {
      expired: () => {
        throw new Error('not asked when the deadline is known');
      },
      onExpired: () => void told++,
      expiresAtMs: 10_000,
    });
    const written: string[] = [];
    stream.deliverTo({ write: (f) => void written.push(f.json) });
    stream.deliver(frame(1), 9_999);
    expect(written).toEqual(['{"data":{"n":1}}']);
    stream.deliver(frame(2), 10_000);
    expect(written).toEqual(['{"data":{"n":1}}']);
    expect(told).toBe(1);
    expect(stream.closed).toBe(true);
  });

  it('should count UTF-8 bytes of the encoded frame once', () => {
    const f = eventFrame({ data: { s: 'é' } });
    expect(f.json).toBe('{"data":{"s":"é"}}');
    expect(f.bytes).toBe(Buffer.byteLength(f.json));
  });

  it('should reject on throw and drop what was buffered', async () => {
    const stream = new ClientStream(() => {});
    stream.deliver(frame(1));
    await expect(stream.throw(new Error('stop'))).rejects.toThrow('stop');
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(stream.closed).toBe(true);
  });
});
