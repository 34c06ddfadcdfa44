import { PushQueue } from '../../core/async/PushQueue.js';
import { withTimeout } from '../support/asyncWait.js';

describe('PushQueue', () => {
  it('should hand buffered values out in push order', async () => {
    const queue = new PushQueue<number>();
    queue.push(1);
    queue.push(2);
    expect(await queue.next()).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
  });

  it('should resolve waiting pulls as values arrive, in order', async () => {
    const queue = new PushQueue<string>();
    const first = queue.next();
    const second = queue.next();
    queue.push('a');
    queue.push('b');
    expect(await first).toEqual({ value: 'a', done: false });
    expect(await second).toEqual({ value: 'b', done: false });
  });

  it('should drain buffered values before reporting the end', async () => {
    const queue = new PushQueue<number>();
    queue.push(1);
    queue.end();
    queue.push(2);
    const seen: number[] = [];
    for await (const value of queue) seen.push(value);
    expect(seen).toEqual([1]);
  });

  it('should end waiting pulls when the producer ends', async () => {
    const queue = new PushQueue<number>();
    const pending = queue.next();
    queue.end();
    expect(await withTimeout(pending, 'the pending pull')).toEqual({ value: undefined, done: true });
  });

  it('should reject one pull with the failure after the buffer, then be done', async () => {
    const queue = new PushQueue<number>();
    queue.push(1);
    queue.fail(new Error('boom'));
    expect(await queue.next()).toEqual({ value: 1, done: false });
    await expect(queue.next()).rejects.toThrow('boom');
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('should reject a waiting pull when the producer fails', async () => {
    const queue = new PushQueue<number>();
    const pending = queue.next();
    queue.fail(new Error('boom'));
    await expect(pending).rejects.toThrow('boom');
  });

  it('should drop the buffer, end waiting pulls and clean up once on return()', async () => {
    const onClose = jest.fn();
    const queue = new PushQueue<number>(onClose);
    queue.push(1);
    expect(await queue.return()).toEqual({ value: undefined, done: true });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    await queue.return();
    queue.end();
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(queue.closed).toBe(true);
  });

  it('should end pulls that were already waiting when the consumer returns', async () => {
    const queue = new PushQueue<number>();
    const pending = queue.next();
    await queue.return();
    expect(await withTimeout(pending, 'the pending pull')).toEqual({ value: undefined, done: true });
  });

  it('should clean up when the consumer breaks out of for-await', async () => {
    const onClose = jest.fn();
    const queue = new PushQueue<number>(onClose);
    queue.push(1);
    queue.push(2);
    for await (const value of queue) {
      expect(value).toBe(1);
      break;
    }
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('should close and rethrow on throw()', async () => {
    const onClose = jest.fn();
    const queue = new PushQueue<number>(onClose);
    await expect(queue.throw(new Error('stop'))).rejects.toThrow('stop');
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('should clean up once when the producer ends first', async () => {
    const onClose = jest.fn();
    const queue = new PushQueue<number>(onClose);
    queue.end();
    queue.fail(new Error('late'));
    await queue.return();
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });
});

describe('PushQueue as one queue for the gateway and the kit', () => {
  it('should report the failure to one waiting pull and end the others', async () => {
    const queue = new PushQueue<number>();
    const first = queue.next();
    const second = queue.next();
    queue.fail(new Error('boom'));
    await expect(first).rejects.toThrow('boom');
    expect(await second).toEqual({ value: undefined, done: true });
  });

  it('should count buffered values for back-pressure', () => {
    const queue = new PushQueue<number>();
    queue.push(1);
    queue.push(2);
    expect(queue.size).toBe(2);
    void queue.return();
    expect(queue.size).toBe(0);
  });
});
