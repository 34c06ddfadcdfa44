/**
 * A min-heap of things due at a time. Ties keep insertion order (a sequence number breaks them), so the
 * story is the same on every run and facts at the same instant come out in the order they were planned.
 */
export class ScheduleQueue<T> {
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly items: T[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  /** Time of the earliest entry, or `Infinity` when empty. */
  peekTime(): number {
    return this.items.length ? this.times[0] : Infinity;
  }

  push(time: number, item: T): void {
    this.times.push(time);
    this.seqs.push(this.seq++);
    this.items.push(item);
    this.up(this.items.length - 1);
  }

  /** Removes and returns the earliest entry; the queue must not be empty. */
  pop(): { time: number; item: T } {
    const top = { time: this.times[0], item: this.items[0] };
    const last = this.items.length - 1;
    this.move(last, 0);
    this.times.pop();
    this.seqs.pop();
    this.items.pop();
    if (this.items.length) this.down(0);
    return top;
  }

  private before(i: number, j: number): boolean {
    return this.times[i] < this.times[j] || (this.times[i] === this.times[j] && this.seqs[i] < this.seqs[j]);
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from];
    this.seqs[to] = this.seqs[from];
    this.items[to] = this.items[from];
  }

  private swap(i: number, j: number): void {
    const time = this.times[i];
    this.times[i] = this.times[j];
    this.times[j] = time;
    const seq = this.seqs[i];
    this.seqs[i] = this.seqs[j];
    this.seqs[j] = seq;
    const item = this.items[i];
    this.items[i] = this.items[j];
    this.items[j] = item;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && this.before(left, smallest)) smallest = left;
      if (right < n && this.before(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }
}
