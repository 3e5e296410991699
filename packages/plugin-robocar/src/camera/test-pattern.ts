import { startTicker } from '../util/ticker.js';
import { TestPatternImage } from './test-pattern-image.js';
import type { CameraSink, CameraSource } from './types.js';

export interface TestPatternCameraOptions {
  /** Default 320 (the original camera's preview width). */
  width?: number;
  /** Default 180. */
  height?: number;
  /** Frames per second, default 10. */
  fps?: number;
  /** JPEG quality 1-100, default 85 (the original's). */
  quality?: number;
  /** Time shown by the clock, ms since epoch. Default Date.now. */
  now?: () => number;
  /**
   * Called at each start: the tiles are encoded, and frames flow, only once the promise it returns
   * settles. The plugin passes "the host is running", so the encoding (the first tile ~50 ms of
   * jpeg-js) does not hold up the endpoints that start after the camera. Default: at once.
   */
  startAfter?: () => PromiseLike<unknown>;
}

/** A generated moving picture with a clock, as real JPEG: for demos and tests without a camera. */
export class TestPatternCamera implements CameraSource {
  readonly kind = 'test-pattern' as const;
  readonly description: string;
  private stopTicker: (() => void) | undefined;
  /** The pending tile warm-up step (each step schedules the next; stop clears it). */
  private warming: NodeJS.Immediate | undefined;
  private image: TestPatternImage | undefined;
  private seq = 0;
  /** Bumped by every start and stop: a warm-up waiting on `startAfter` from an earlier start gives up. */
  private generation = 0;

  constructor(private readonly options: TestPatternCameraOptions = {}) {
    this.description = `test pattern ${options.width ?? 320}x${options.height ?? 180} at ${options.fps ?? 10} fps`;
  }

  start(sink: CameraSink): void {
    const generation = ++this.generation;
    const begin = () => {
      if (generation === this.generation) this.warmThenRun(sink);
    };
    Promise.resolve(this.options.startAfter?.()).then(begin, begin);
  }

  private warmThenRun(sink: CameraSink): void {
    const now = this.options.now ?? Date.now;
    const image = this.picture();
    const emit = () => sink.jpeg(image.render(this.seq++, now()), 'test pattern');
    // The tiles are encoded one per event-loop turn after start returns (the first, through jpeg-js,
    // ~50 ms; the others ~1 ms each): the host starts at once and stays responsive.
    const colours = [...TestPatternImage.COLOURS];
    const warm = () => {
      const colour = colours.shift();
      if (colour !== undefined) {
        image.warm(colour);
        this.warming = setImmediate(warm);
        return;
      }
      this.warming = undefined;
      emit();
      this.stopTicker = startTicker(this.options.fps ?? 10, emit);
    };
    this.warming = setImmediate(warm);
  }

  stop(): void {
    this.generation++;
    if (this.warming) clearImmediate(this.warming);
    this.warming = undefined;
    this.stopTicker?.();
    this.stopTicker = undefined;
  }

  /** One frame, without starting: for a snapshot or a fixture. */
  frame(seq = 0, at = Date.now()): Buffer {
    return this.picture().render(seq, at);
  }

  details(): Record<string, unknown> {
    return { rendered: this.seq };
  }

  /** Built on first use: it encodes its tiles up front. */
  private picture(): TestPatternImage {
    this.image ??= new TestPatternImage({ width: this.options.width ?? 320, height: this.options.height ?? 180, quality: this.options.quality ?? 85 });
    return this.image;
  }
}
