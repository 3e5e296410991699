import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { compilePattern } from '@acgateway/core';
import type { RecordedMessage } from './format.js';
import type { RecordingReader } from './reader.js';

export interface ReplayOptions {
  /** 1 = as recorded, 4 = four times faster, 'max' = flat out. */
  speed?: number | 'max';
  /** Start again at the end (retained values restored each time). */
  loop?: boolean;
  /** Start this many ms into the recording. */
  fromMs?: number;
  /** Only these topics (default every one). */
  topics?: string[];
  /** Never these (default `core/#`: the replaying host publishes its own status). */
  exclude?: string[];
  /** `now` (default): messages get the time they are replayed at, as from a live source; `original`: as recorded. */
  timestamps?: 'now' | 'original';
}

export interface ReplayStats {
  published: number;
  loops: number;
  /** ms into the recording of the last message published. */
  positionMs: number;
  done: boolean;
}

/** Parses `00:12:30`, `12:30`, `750` (seconds) or `1.5` into ms; throws naming the text otherwise. */
export function parseOffset(text: string): number {
  const parts = text.split(':');
  if (parts.length > 3 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) throw new Error(`"${text}" is not a time into the recording: use hh:mm:ss, mm:ss or seconds`);
  const seconds = parts.reduce((acc, p) => acc * 60 + Number(p), 0);
  return Math.round(seconds * 1000);
}

/**
 * Publishes a recording's messages with their recorded spacing (divided by `speed`): first the
 * retained values as they stood at the start point, then every message in order.
 */
export class Replayer {
  readonly stats: ReplayStats = { published: 0, loops: 0, positionMs: 0, done: false };
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly wanted: (topic: string) => boolean;

  constructor(
    private readonly reader: RecordingReader,
    private readonly publish: (m: RecordedMessage, data: unknown) => void,
    private readonly options: ReplayOptions = {},
    private readonly onBadRecord: (m: RecordedMessage, err: Error) => void = () => {},
  ) {
    const include = (options.topics ?? ['#']).map(compilePattern);
    const exclude = (options.exclude ?? ['core/#']).map(compilePattern);
    this.wanted = (t) => include.some((m) => m(t)) && !exclude.some((m) => m(t));
    const speed = options.speed ?? 1;
    if (speed !== 'max' && !(speed > 0)) throw new Error(`replay speed must be a positive number or "max", got ${String(speed)}`);
  }

  /** Runs to the end (or forever with `loop`) unless stopped; resolves with the stats. */
  async run(): Promise<ReplayStats> {
    const from = this.options.fromMs ?? 0;
    if (from > this.reader.durationMs) throw new Error(`--from ${Math.round(from / 1000)} s is past the end of ${this.reader.file} (${Math.round(this.reader.durationMs / 1000)} s long)`);
    try {
      do {
        await this.once(from);
        if (!this.stopped) this.stats.loops++;
      } while (this.options.loop && !this.stopped);
    } catch (err) {
      if (!this.stopped) throw err;
    }
    this.stats.done = true;
    return this.stats;
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  private async once(from: number): Promise<void> {
    const speed = this.options.speed ?? 1;
    const start = performance.now();
    let sinceYield = 0;
    for await (const m of this.reader.messages({ fromMs: from, withRetained: true })) {
      if (this.stopped) return;
      if (!this.wanted(m.topic)) continue;
      if (speed === 'max') {
        // Flat out, but the host's other work gets a turn every 256 messages.
        if (++sinceYield >= 256) {
          sinceYield = 0;
          await new Promise((r) => setImmediate(r));
        }
      } else {
        const due = (m.t - from) / speed - (performance.now() - start);
        if (due > 1) await sleep(due, undefined, { signal: this.abort.signal });
      }
      if (this.stopped) return;
      let data: unknown;
      try {
        data = JSON.parse(m.data);
      } catch (err) {
        this.onBadRecord(m, err as Error);
        continue;
      }
      this.publish(this.options.timestamps === 'original' ? m : { ...m, ts: Date.now() }, data);
      this.stats.published++;
      this.stats.positionMs = m.t;
    }
  }
}
