import { createPushQueue } from '../../../gateway/subscriptions/createPushQueue.js';
import { withTimeout } from '../../support/asyncWait.js';

describe('createPushQueue', () => {
  it('should hand buffered values out in push order', async () => {
    const queue = createPushQueue<number>();
    queue.push(1);
    queue.push(2);
    expect(await queue.iterator.next()).toEqual({ value: 1, done: false });
    expect(await queue.iterator.next()).toEqual({ value: 2, done: false });
  });

  it('should resolve waiting pulls as values arrive, in order', async () => {
    const queue = createPushQueue<string>();
    const first = queue.iterator.next();
    const second = queue.iterator.next();
    queue.push('a');
    queue.push('b');
    expect(await first).toEqual({ value: 'a', done: false });
    expect(await second).toEqual({ value: 'b', done: false });
  });

  it('should drain buffered values before reporting the end', async () => {
    const queue = createPushQueue<number>();
    queue.push(1);
    queue.end();
    queue.push(2);
    const seen: number[] = [];
    for await (const value of queue.iterator) seen.push(value);
    expect(seen).toEqual([1]);
  });

  it('should end waiting pulls when the producer ends', async () => {
    const queue = createPushQueue<number>();
    const pending = queue.iterator.next();
    queue.end();
    expect(await withTimeout(pending, 'the pending pull')).toEqual({ value: undefined, done: true });
  });

  it('should reject one pull with the failure after the buffer, then be done', async () => {
    const queue = createPushQueue<number>();
    queue.push(1);
    queue.fail(new Error('boom'));
    expect(await queue.iterator.next()).toEqual({ value: 1, done: false });
    await expect(queue.iterator.next()).rejects.toThrow('boom');
    expect(await queue.iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('should reject a waiting pull when the producer fails', async () => {
    const queue = createPushQueue<number>();
    const pending = queue.iterator.next();
    queue.fail(new Error('boom'));
    await expect(pending).rejects.toThrow('boom');
  });

  it('should drop the buffer, end waiting pulls and clean up once on return()', async () => {
    const onClose = jest.fn();
    const queue = createPushQueue<number>(onClose);
    queue.push(1);
    expect(await queue.iterator.return!()).toEqual({ value: undefined, done: true });
    expect(await queue.iterator.next()).toEqual({ value: undefined, done: true });
    await queue.iterator.return!();
    queue.end();
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(queue.closed).toBe(true);
  });

  it('should end pulls that were already waiting when the consumer returns', async () => {
    const queue = createPushQueue<number>();
    const pending = queue.iterator.next();
    await queue.iterator.return!();
    expect(await withTimeout(pending, 'the pending pull')).toEqual({ value: undefined, done: true });
  });

  it('should clean up when the consumer breaks out of for-await', async () => {
    const onClose = jest.fn();
    const queue = createPushQueue<number>(onClose);
    queue.push(1);
    queue.push(2);
    for await (const value of queue.iterator) {
      expect(value).toBe(1);
      break;
    }
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('should close and rethrow on throw()', async () => {
    const onClose = jest.fn();
    const queue = createPushQueue<number>(onClose);
    await expect(queue.iterator.throw!(new Error('stop'))).rejects.toThrow('stop');
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(await queue.iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('should clean up once when the producer ends first', async () => {
    const onClose = jest.fn();
    const queue = createPushQueue<number>(onClose);
    queue.end();
    queue.fail(new Error('late'));
    await queue.iterator.return!();
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(await queue.iterator.next()).toEqual({ value: undefined, done: true });
  });
});
