import { promises as fs } from 'node:fs';
import { splitCapture } from '../wire/split.js';
import { decodeRecording, Direction, isRecording } from './format.js';

export type ReplaySpeed = number | 'max';

export interface ReplaySource {
  file: string;
  /** `recording`: our format, with arrival times. `capture`: raw payloads laid end to end (like acudpclient's `ac_out`), split by parsing. */
  format: 'recording' | 'capture';
  /** Server-to-plugin datagrams, with their times in ms from the first. */
  datagrams: Array<{ tMs: number; bytes: Buffer }>;
  /** Something was wrong with the file but what came before it is usable (a cut-short recording, an unreadable message in a capture). */
  problem?: string;
}

/**
 * Reads a recording or a raw capture. A raw capture has no times: its messages are spaced
 * `gapMs` apart at speed 1.
 */
export async function loadReplay(file: string, options: { gapMs?: number } = {}): Promise<ReplaySource> {
  let data: Buffer;
  try {
    data = await fs.readFile(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'ENOENT' ? `replay file not found: ${file}` : `cannot read replay file ${file}: ${e.message}`, { cause: err });
  }
  if (isRecording(data)) {
    const rec = decodeRecording(data);
    const toPlugin = rec.datagrams.filter((d) => d.direction === Direction.ToPlugin);
    const t0 = toPlugin[0]?.tMs ?? 0;
    return {
      file,
      format: 'recording',
      datagrams: toPlugin.map((d) => ({ tMs: d.tMs - t0, bytes: d.bytes })),
      problem: rec.partialTail > 0 ? `the recording ends in a partial record of ${rec.partialTail} bytes (cut short?); the whole records before it are replayed` : undefined,
    };
  }
  const split = splitCapture(data);
  if (split.messages.length === 0 && split.error) {
    throw new Error(`${file} is neither an acudp recording nor a raw ACSP capture: the first message does not parse (${split.error.reason}: ${split.error.message})`);
  }
  const gap = options.gapMs ?? 100;
  return {
    file,
    format: 'capture',
    datagrams: split.messages.map((m, i) => ({ tMs: i * gap, bytes: m.bytes })),
    problem: split.error
      ? `parsing stopped at byte ${split.error.at} of ${data.length} (${split.error.reason}: ${split.error.message}); the ${split.messages.length} messages before it are replayed`
      : undefined,
  };
}

export interface ReplayerOptions {
  /** 1 = original timing, 10 = ten times faster, 'max' = as fast as the process can. */
  speed: ReplaySpeed;
  /** Start again at the end. */
  loop?: boolean;
  onDatagram(bytes: Buffer): void;
  /** Called at the end of each pass. */
  onPassEnd?(pass: number): void;
}

/** Feeds a loaded replay to a consumer at the chosen speed, with timers (never a busy loop). */
export class Replayer {
  played = 0;
  passes = 0;
  private index = 0;
  private base = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running = false;

  constructor(
    readonly source: ReplaySource,
    private readonly options: ReplayerOptions,
  ) {
    if (options.speed !== 'max' && !(options.speed > 0)) throw new RangeError(`replay speed must be a positive number or 'max', got ${String(options.speed)}`);
  }

  get done(): boolean {
    return !this.running && this.index >= this.source.datagrams.length;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.index = 0;
    this.base = performance.now();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private schedule(): void {
    if (!this.running) return;
    const list = this.source.datagrams;
    if (this.index >= list.length) return this.passEnd();
    if (this.options.speed === 'max') {
      this.immediate = setImmediate(() => this.pump());
      return;
    }
    const due = this.base + list[this.index]!.tMs / this.options.speed;
    this.timer = setTimeout(() => this.pump(), Math.max(0, due - performance.now()));
  }

  private pump(): void {
    this.timer = undefined;
    this.immediate = undefined;
    if (!this.running) return;
    const list = this.source.datagrams;
    if (this.options.speed === 'max') {
      // Chunks, so the event loop (sockets, timers) still runs during a flat-out replay.
      const end = Math.min(list.length, this.index + 2000);
      while (this.running && this.index < end) this.feed(list[this.index++]!.bytes);
    } else {
      const elapsed = (performance.now() - this.base) * this.options.speed;
      while (this.running && this.index < list.length && list[this.index]!.tMs <= elapsed) this.feed(list[this.index++]!.bytes);
    }
    this.schedule();
  }

  private feed(bytes: Buffer): void {
    this.played++;
    this.options.onDatagram(bytes);
  }

  private passEnd(): void {
    this.passes++;
    const again = this.options.loop === true && this.running && this.source.datagrams.length > 0;
    if (!again) this.running = false;
    this.options.onPassEnd?.(this.passes);
    if (again && this.running) {
      this.index = 0;
      this.base = performance.now();
      this.schedule();
    }
  }
}
