/**
 * A consistent private copy of one rF2 buffer, by the plugin's version-block protocol: the live
 * Begin/End must be equal before the copy, equal inside the copy, and unchanged after it. Anything
 * else is a torn copy: retried a few times, counted, and never handed on.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { VERSION, type SnapshotLayout, type VersionPair } from './wire/layout.js';
import type { MappedRegion } from './readers/types.js';

export type TakeResult = 'fresh' | 'unchanged' | 'torn' | 'failed';

export interface SnapshotOptions {
  /** Extra attempts after a torn copy within one take (default 3). */
  retries?: number;
  /** Wait between attempts, ms (default 1: the writer finishes a telemetry frame in far less). */
  retryDelayMs?: number;
}

export interface SnapshotStats {
  fresh: number;
  unchanged: number;
  /** Copies found torn and retried or dropped. */
  tornCopies: number;
  /** Takes that gave up: no consistent copy this time. */
  tornTakes: number;
  /** Short reads (file shrank under us). */
  failed: number;
}

export class ConsistentCopy {
  /** The last consistent copy, valid in [0, length); a torn copy never lands here. */
  data: Buffer;
  length = 0;
  /** Where the next copy goes; swapped with `data` when it proves consistent. */
  private spare: Buffer;
  readonly stats: SnapshotStats = { fresh: 0, unchanged: 0, tornCopies: 0, tornTakes: 0, failed: 0 };
  /** The versions seen by the last torn take, for messages. */
  lastTorn: VersionPair | undefined;
  private readonly head: Buffer;
  private readonly after = Buffer.alloc(VERSION.size);
  private last: VersionPair | undefined;
  /** A Begin/End pair that stayed unequal through a whole take: not waited on again (e.g. after a game crash). */
  private stuck: VersionPair | undefined;
  private readonly retries: number;
  private readonly retryDelayMs: number;

  constructor(private readonly layout: SnapshotLayout, options: SnapshotOptions = {}) {
    this.data = Buffer.alloc(layout.mappingBytes);
    this.spare = Buffer.alloc(layout.mappingBytes);
    this.head = Buffer.alloc(layout.headBytes);
    this.retries = options.retries ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 1;
  }

  /** Forget what was read: the next take is fresh (a new mapping). */
  reset(): void {
    this.last = undefined;
    this.stuck = undefined;
    this.length = 0;
  }

  get hasData(): boolean {
    return this.last !== undefined;
  }

  /**
   * Takes a copy. Synchronous when the first attempt settles it (the usual case: no promise, no
   * timer); a torn first copy returns a promise that retries after `retryDelayMs`.
   */
  take(region: MappedRegion): TakeResult | Promise<TakeResult> {
    const r = this.attempt(region, 0);
    return r === 'retry' ? this.retry(region) : r;
  }

  private async retry(region: MappedRegion): Promise<TakeResult> {
    for (let attempt = 1; ; attempt++) {
      await sleep(this.retryDelayMs);
      const r = this.attempt(region, attempt);
      if (r !== 'retry') return r;
    }
  }

  private attempt(region: MappedRegion, attempt: number): TakeResult | 'retry' {
    const { head, after } = this;
    if (!region.read(head, head.length)) return this.fail();
    const begin = head.readUInt32LE(VERSION.begin);
    const end = head.readUInt32LE(VERSION.end);
    if (begin === end) {
      this.stuck = undefined;
      if (this.last && this.last.begin === begin && this.last.end === end) {
        this.stats.unchanged++;
        return 'unchanged';
      }
      const len = Math.min(this.layout.liveBytes(head), region.size);
      const copy = this.spare;
      if (!region.read(copy, len)) return this.fail();
      if (!region.read(after, VERSION.size)) return this.fail();
      if (
        copy.readUInt32LE(VERSION.begin) === begin &&
        copy.readUInt32LE(VERSION.end) === end &&
        after.readUInt32LE(VERSION.begin) === begin &&
        after.readUInt32LE(VERSION.end) === end
      ) {
        this.spare = this.data;
        this.data = copy;
        this.last = { begin, end };
        this.length = len;
        this.stats.fresh++;
        return 'fresh';
      }
    } else if (this.stuck && this.stuck.begin === begin && this.stuck.end === end) {
      this.stats.tornCopies++;
      this.stats.tornTakes++;
      this.lastTorn = { begin, end };
      return 'torn';
    }
    this.stats.tornCopies++;
    if (attempt >= this.retries) {
      this.stats.tornTakes++;
      this.lastTorn = { begin, end };
      if (begin !== end) this.stuck = { begin, end };
      return 'torn';
    }
    return 'retry';
  }

  private fail(): TakeResult {
    this.stats.failed++;
    return 'failed';
  }
}
