import { Backoff } from '@acgateway/core';
import type { CameraKind, CameraSink, CameraSource } from './types.js';

/** One try at a camera (an HTTP request, an ffmpeg process), ended once: by a failure or by stop(). */
export interface Link {
  ended: boolean;
  stallTimer?: NodeJS.Timeout;
}

export interface ReconnectTiming {
  /** No good frame for this long: the link is dropped and opened again. Default 5000 ms. */
  stallTimeoutMs?: number;
  /** First delay before opening again, doubling up to retryMaxMs; back to retryMs after a good frame. Default 500 ms. */
  retryMs?: number;
  /** Default 10000 ms. */
  retryMaxMs?: number;
}

/**
 * A camera reached over a link that can break. Every failure (an error, a stall, garbage, the far
 * end going away) ends the link, reports the camera down and opens a new link after a growing
 * delay; a good frame resets the delay and the stall clock. Subclasses say how a link is opened
 * and closed, and report on it with `good(link)` and `fail(link, reason)`.
 */
export abstract class ReconnectingCamera<L extends Link> implements CameraSource {
  abstract readonly kind: CameraKind;
  abstract readonly description: string;
  protected sink!: CameraSink;
  /** The open link, if any. */
  protected link: L | undefined;
  /** Links opened since construction. */
  protected opened = 0;
  /** Reopens scheduled after a failure. */
  protected retries = 0;
  protected lastError: string | undefined;
  private stopped = true;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;

  /** `stallKind`: the bad-input kind a stall is counted as. */
  constructor(private readonly timing: ReconnectTiming, private readonly stallKind: string) {
    // Doubling from retryMs to retryMaxMs, no jitter: one camera has no crowd to spread out.
    this.backoff = new Backoff({ initialMs: timing.retryMs ?? 500, maxMs: timing.retryMaxMs ?? 10_000, factor: 2, jitter: 0 });
  }

  /** Opens a link. Its events must come later (as those of sockets and child processes do), not during this call. */
  protected abstract open(): L;
  /** Lets go of what the link holds; stop() waits for it. */
  protected abstract close(link: L): void | Promise<void>;

  start(sink: CameraSink): void {
    this.sink = sink;
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const link = this.link;
    this.link = undefined;
    if (link) await this.end(link);
  }

  /** A good frame came over the link. */
  protected good(link: L): void {
    this.backoff.reset();
    this.armStall(link);
  }

  /** The link is broken: it is ended and, unless it was already replaced or the camera stopped, opened again later. */
  protected fail(link: L, reason: string): void {
    if (link.ended) return;
    void this.end(link);
    if (this.stopped || this.link !== link) return;
    this.link = undefined;
    this.lastError = reason;
    this.sink.down(reason);
    this.retries++;
    this.retryTimer = setTimeout(() => this.connect(), this.backoff.next());
  }

  private connect(): void {
    if (this.stopped) return;
    this.opened++;
    const link = this.open();
    this.link = link;
    this.armStall(link);
  }

  private armStall(link: L): void {
    clearTimeout(link.stallTimer);
    const ms = this.timing.stallTimeoutMs ?? 5000;
    link.stallTimer = setTimeout(() => {
      this.sink.problem(this.stallKind, `${this.description}: no frame for ${ms} ms`);
      this.fail(link, `${this.description} stalled: no frame for ${ms} ms`);
    }, ms);
  }

  private async end(link: L): Promise<void> {
    link.ended = true;
    clearTimeout(link.stallTimer);
    await this.close(link);
  }
}
