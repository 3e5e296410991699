import { compilePattern, validatePattern, type TopicMatcher } from './topics.js';
import { AcgError } from './errors.js';
import type { Bus, Message, MessageHandler, Policy, SubscribeOptions } from './bus.js';

/** Throws a BAD_PATTERN error naming what is wrong with a topic pattern. */
export function checkPattern(p: string): void {
  const problem = validatePattern(p);
  if (problem) throw new AcgError('BAD_PATTERN', problem);
}

export class Subscription {
  readonly policy: Policy;
  private matchers: Array<{ pattern: string; match: TopicMatcher }> = [];
  private paused = false;
  private readonly maxQueue: number;
  private readonly maxTopics: number;
  private latest = new Map<string, Message>();
  private queue: Message[] = [];
  private queueHead = 0;
  /** Messages dropped for this subscriber since it was created. */
  dropped = 0;
  /** Messages handed to the handler. */
  delivered = 0;
  closed = false;

  constructor(
    private readonly bus: Bus,
    patterns: readonly string[],
    private readonly handler: MessageHandler,
    private readonly options: SubscribeOptions,
  ) {
    this.policy = options.policy ?? 'latest';
    this.maxQueue = Math.max(1, options.maxQueue ?? 1000);
    this.maxTopics = Math.max(1, options.maxTopics ?? 10_000);
    for (const p of patterns) this.matchers.push({ pattern: p, match: compilePattern(p) });
  }

  get patterns(): string[] {
    return this.matchers.map((m) => m.pattern);
  }

  matches(topic: string): boolean {
    for (const m of this.matchers) if (m.match(topic)) return true;
    return false;
  }

  /** Adds patterns; returns those that were new. Retained messages of the new patterns are delivered. */
  add(patterns: readonly string[]): string[] {
    const added: string[] = [];
    for (const p of patterns) {
      checkPattern(p);
      if (this.matchers.some((m) => m.pattern === p)) continue;
      this.matchers.push({ pattern: p, match: compilePattern(p) });
      added.push(p);
    }
    if (added.length) {
      this.bus.subscriptionsChanged();
      if (this.options.retained !== false) this.deliverRetained(added);
    }
    return added;
  }

  /** Removes patterns; returns those that were present. */
  remove(patterns: readonly string[]): string[] {
    const removed = this.matchers.filter((m) => patterns.includes(m.pattern)).map((m) => m.pattern);
    if (removed.length) {
      this.matchers = this.matchers.filter((m) => !removed.includes(m.pattern));
      this.bus.subscriptionsChanged();
    }
    return removed;
  }

  /** Pending messages (held while paused). */
  get pending(): number {
    return this.policy === 'latest' ? this.latest.size : this.queue.length - this.queueHead;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Hold messages (per policy, bounded) instead of calling the handler: used for backpressure. */
  pause(): void {
    this.paused = true;
  }

  /** Deliver what was held, then resume direct delivery. */
  resume(): void {
    if (this.closed) return;
    this.paused = false;
    this.flush();
  }

  unsubscribe(): void {
    if (this.closed) return;
    this.closed = true;
    this.latest.clear();
    this.queue = [];
    this.queueHead = 0;
    this.bus.removeSubscription(this);
  }

  /** @internal called by the bus for each matching message. */
  deliver(message: Message): void {
    if (this.closed) return;
    if (!this.paused && this.pending === 0) {
      this.call(message);
      return;
    }
    if (this.policy === 'latest') {
      const slot = message.key === undefined ? message.topic : `${message.topic}\u0000${message.key}`;
      const replaced = this.latest.get(slot);
      if (replaced) {
        this.bus.countConflated(replaced);
      } else if (this.latest.size >= this.maxTopics) {
        const oldest = this.latest.keys().next().value as string;
        const lost = this.latest.get(oldest)!;
        this.latest.delete(oldest);
        this.drop(lost, 'topics-full');
      }
      this.latest.delete(slot); // re-insert so Map order stays oldest-first
      this.latest.set(slot, message);
    } else {
      if (this.pending >= this.maxQueue) {
        const lost = this.queue[this.queueHead]!;
        this.queueHead++;
        this.drop(lost, 'queue-full');
      }
      this.queue.push(message);
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
    }
    if (!this.paused) this.flush();
  }

  private drop(message: Message, reason: 'queue-full' | 'topics-full'): void {
    this.dropped++;
    this.bus.countDrop(message);
    this.options.onDrop?.(message, reason);
  }

  private flush(): void {
    if (this.policy === 'latest') {
      while (!this.paused && this.latest.size > 0) {
        const [slot, message] = this.latest.entries().next().value as [string, Message];
        this.latest.delete(slot);
        this.call(message);
      }
    } else {
      while (!this.paused && this.queueHead < this.queue.length) {
        const message = this.queue[this.queueHead]!;
        this.queueHead++;
        this.call(message);
      }
      if (this.queueHead >= this.queue.length) {
        this.queue = [];
        this.queueHead = 0;
      }
    }
  }

  private call(message: Message): void {
    this.delivered++;
    try {
      this.handler(message);
    } catch (err) {
      this.bus.handlerFailed(err, message);
    }
  }

  private deliverRetained(patterns: readonly string[]): void {
    const seen = new Set<string>();
    for (const p of patterns) {
      for (const m of this.bus.retained(p)) {
        if (seen.has(m.topic)) continue;
        seen.add(m.topic);
        this.deliver(m);
      }
    }
  }

  /** @internal */
  deliverRetainedNow(): void {
    if (this.options.retained !== false) this.deliverRetained(this.patterns);
  }
}
