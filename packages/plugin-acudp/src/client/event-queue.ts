import type { AcspEvent } from '../wire/types.js';

/**
 * The buffer behind one async iterator of events: bounded, dropping the oldest (and counting it)
 * when the consumer falls behind, so a forgotten iterator cannot grow memory without end.
 */
export class EventQueue implements AsyncIterableIterator<AcspEvent> {
  private items: AcspEvent[] = [];
  private head = 0;
  private waiter: ((r: IteratorResult<AcspEvent>) => void) | undefined;
  private done = false;
  dropped = 0;

  constructor(
    private readonly maxBuffer: number,
    private readonly filter: ((e: AcspEvent) => boolean) | undefined,
    private readonly onEnd: (q: EventQueue) => void,
  ) {}

  push(e: AcspEvent): void {
    if (this.done || (this.filter && !this.filter(e))) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: e, done: false });
      return;
    }
    if (this.items.length - this.head >= this.maxBuffer) {
      this.head++;
      this.dropped++;
    }
    this.items.push(e);
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  next(): Promise<IteratorResult<AcspEvent>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head++]!;
      return Promise.resolve({ value, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Ends the iteration (the client closed, or the consumer broke out of its loop). */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.items = this.items.slice(this.head);
    this.head = 0;
    this.onEnd(this);
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: undefined, done: true });
    }
  }

  return(): Promise<IteratorResult<AcspEvent>> {
    this.items = [];
    this.head = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
