import { RateLimitedLog, type Logger } from '@acgateway/core';
import { JpegError, readJpegInfo } from '../wire/jpeg/info.js';
import type { FrameMessage } from '../topics.js';
import { toSeconds } from '../wire/events.js';
import type { CameraSink, CameraSource } from './types.js';

export interface CameraFeedDeps {
  logger: Logger;
  now(): number;
  /** Hands a checked frame on (the plugin publishes it on `robocar/frame`). */
  publish(frame: FrameMessage): void;
  /** The camera went away: its last frame is no longer current. */
  clear(): void;
  countBadInput(kind: string): void;
}

export interface CameraState {
  source: string;
  description: string;
  connected: boolean;
  /** Why the camera is not connected. */
  reason?: string;
  frames: number;
  corruptFrames: number;
  width?: number;
  height?: number;
  /** Unix time, seconds, of the last good frame. */
  lastFrameAt?: number;
  [key: string]: unknown;
}

/**
 * Between a camera source and the bus: checks each JPEG (size from its SOF marker), keeps the
 * camera's connected state, and counts and logs bad input at a bounded rate.
 */
export class CameraFeed implements CameraSink {
  readonly logger: Logger;
  private connected = false;
  private reason: string | undefined = 'not started';
  private seq = 0;
  private frames = 0;
  private corrupt = 0;
  private size: { width: number; height: number } | undefined;
  private lastFrameAt: number | undefined;
  private readonly rateLog: RateLimitedLog;

  constructor(readonly source: CameraSource, private readonly deps: CameraFeedDeps) {
    this.logger = deps.logger;
    this.rateLog = new RateLimitedLog(5000, deps.now);
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async start(): Promise<void> {
    this.reason = 'waiting for the first frame';
    this.logger.info(`camera: ${this.source.description}`);
    await this.source.start(this);
  }

  async stop(): Promise<void> {
    await this.source.stop();
    this.connected = false;
    this.reason = 'stopped';
    this.deps.clear();
  }

  jpeg(data: Buffer, origin?: string): boolean {
    let info;
    try {
      info = readJpegInfo(data);
    } catch (err) {
      const why = err instanceof JpegError ? err.message : `unreadable (${String(err)})`;
      this.corrupt++;
      this.deps.countBadInput('corrupt-jpeg');
      const from = origin ?? this.source.description;
      this.rateLog.log(`corrupt:${from}`, (suppressed) =>
        this.logger.warn({ from, bytes: data.length, suppressed }, `skipped a corrupt JPEG from ${from}: ${why}`),
      );
      return false;
    }
    const now = this.deps.now();
    this.frames++;
    this.lastFrameAt = now;
    if (!this.connected || this.size?.width !== info.width || this.size.height !== info.height) {
      if (!this.connected) this.logger.info({ width: info.width, height: info.height }, `camera connected: ${this.source.description} (${info.width}x${info.height})`);
      this.connected = true;
      this.reason = undefined;
      this.size = { width: info.width, height: info.height };
    }
    this.deps.publish({
      timestamp: toSeconds(now),
      seq: ++this.seq,
      width: info.width,
      height: info.height,
      format: 'jpeg',
      frame: data.toString('base64'),
      bytes: data.length,
    });
    return true;
  }

  down(reason: string): void {
    const was = this.connected;
    const changed = reason !== this.reason;
    this.connected = false;
    this.reason = reason;
    if (was) {
      this.logger.warn(`camera lost: ${reason}`);
      this.deps.clear();
    } else if (changed) {
      this.rateLog.log(`down:${reason}`, (suppressed) => this.logger.warn({ suppressed }, `camera unavailable: ${reason}`));
    } else {
      this.logger.debug(`camera still unavailable: ${reason}`);
    }
  }

  problem(kind: string, message: string): void {
    this.deps.countBadInput(kind);
    this.rateLog.log(`problem:${kind}`, (suppressed) => this.logger.warn({ kind, suppressed }, message));
  }

  state(): CameraState {
    return {
      source: this.source.kind,
      description: this.source.description,
      connected: this.connected,
      ...(this.reason ? { reason: this.reason } : {}),
      frames: this.frames,
      corruptFrames: this.corrupt,
      ...(this.size ?? {}),
      ...(this.lastFrameAt !== undefined ? { lastFrameAt: this.lastFrameAt } : {}),
      ...this.source.details?.(),
    };
  }
}
