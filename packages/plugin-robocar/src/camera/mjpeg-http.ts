import http from 'node:http';
import https from 'node:https';
import { JpegSplitter } from '../jpeg/splitter.js';
import { boundaryOf, MultipartError, MultipartParser } from '../mjpeg/multipart.js';
import { Backoff } from '../util/backoff.js';
import type { CameraSink, CameraSource } from './types.js';

export interface MjpegCameraOptions {
  /** An MJPEG stream, e.g. `http://192.168.4.1:81/stream` (ESP32-CAM) or an IP camera's `/video.mjpg`. */
  url: string;
  /** Extra request headers (e.g. authorization). Credentials in the URL are sent as basic auth. */
  headers?: Record<string, string>;
  /** No good frame for this long means the stream stalled: it is dropped and reconnected. Default 5000 ms. */
  stallTimeoutMs?: number;
  /** First reconnect delay, doubling up to retryMaxMs. Default 500 ms. */
  retryMs?: number;
  /** Default 10000 ms. */
  retryMaxMs?: number;
  /** Larger parts (or that many bytes without a boundary) are garbage. Default 8 MiB. */
  maxFrameBytes?: number;
  /** This many corrupt frames in a row mean the stream is garbage: it is reconnected. Default 5. */
  maxBadFrames?: number;
}

interface Attempt {
  req: http.ClientRequest;
  res?: http.IncomingMessage;
  failed: boolean;
  stallTimer?: NodeJS.Timeout;
  badRun: number;
}

/**
 * Reads an MJPEG-over-HTTP stream: `multipart/x-mixed-replace` parts (cut by Content-Length or by
 * boundary), or, for any other content type, JPEG files back to back. Every failure (refused,
 * HTTP error, stall, garbage, the camera closing) reconnects with a growing delay.
 */
export class MjpegHttpCamera implements CameraSource {
  readonly kind = 'mjpeg' as const;
  readonly description: string;
  private readonly url: URL;
  private readonly backoff: Backoff;
  private attempt: Attempt | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private sink: CameraSink | undefined;
  private stopped = true;
  private connects = 0;
  private reconnects = 0;
  private lastError: string | undefined;

  constructor(private readonly options: MjpegCameraOptions) {
    this.url = new URL(options.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new Error(`camera.url must be http: or https:, got ${this.url.protocol}`);
    const shown = new URL(this.url);
    if (shown.password) shown.password = '***';
    this.description = `MJPEG ${shown.toString()}`;
    this.backoff = new Backoff(options.retryMs ?? 500, options.retryMaxMs ?? 10_000);
  }

  start(sink: CameraSink): void {
    this.sink = sink;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.attempt) this.end(this.attempt);
    this.attempt = undefined;
  }

  details(): Record<string, unknown> {
    return { connects: this.connects, reconnects: this.reconnects, lastError: this.lastError };
  }

  private connect(): void {
    if (this.stopped) return;
    const sink = this.sink!;
    this.connects++;
    const get = this.url.protocol === 'https:' ? https.get : http.get;
    const req = get(this.url, {
      agent: false,
      headers: { 'user-agent': 'acgateway-robocar', accept: 'multipart/x-mixed-replace, image/jpeg;q=0.9, */*;q=0.1', ...this.options.headers },
    });
    const attempt: Attempt = { req, failed: false, badRun: 0 };
    this.attempt = attempt;
    this.armStall(attempt);
    req.on('error', (err) => this.fail(attempt, `cannot read ${this.description}: ${err.message}`));
    req.on('response', (res) => {
      attempt.res = res;
      if (res.statusCode !== 200) {
        this.fail(attempt, `${this.description} answered HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim());
        return;
      }
      const contentType = res.headers['content-type'];
      const onJpeg = (jpeg: Buffer) => this.frame(attempt, jpeg);
      let push: (chunk: Buffer) => void;
      if (contentType && /^multipart\//i.test(contentType)) {
        const parser = new MultipartParser({ boundary: boundaryOf(contentType), maxPartBytes: this.options.maxFrameBytes });
        push = (chunk) => {
          for (const part of parser.push(chunk)) onJpeg(part.body);
        };
      } else {
        const splitter = new JpegSplitter({
          maxFrameBytes: this.options.maxFrameBytes ?? 8 << 20,
          onFrame: onJpeg,
          onGarbage: (bytes, reason) => sink.problem('mjpeg-garbage', `${this.description}: ${bytes ? `${bytes} bytes skipped, ` : ''}${reason}`),
        });
        push = (chunk) => splitter.push(chunk);
      }
      res.on('data', (chunk: Buffer) => {
        if (attempt.failed) return;
        try {
          push(chunk);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          if (err instanceof MultipartError) sink.problem('mjpeg-garbage', `${this.description}: ${message}`);
          else sink.logger.error({ err }, `reading ${this.description} failed`);
          this.fail(attempt, `garbage from ${this.description}: ${message}`);
        }
      });
      res.on('error', (err) => this.fail(attempt, `${this.description}: the stream broke off (${err.message})`));
      res.on('close', () => this.fail(attempt, `${this.description} closed the stream`));
    });
  }

  private frame(attempt: Attempt, jpeg: Buffer): void {
    if (attempt.failed) return;
    if (this.sink!.jpeg(jpeg, this.description)) {
      attempt.badRun = 0;
      this.backoff.reset();
      this.armStall(attempt);
      return;
    }
    attempt.badRun++;
    const max = this.options.maxBadFrames ?? 5;
    if (attempt.badRun >= max) {
      this.sink!.problem('mjpeg-garbage', `${this.description}: ${attempt.badRun} corrupt frames in a row`);
      this.fail(attempt, `garbage from ${this.description}: ${attempt.badRun} corrupt frames in a row`);
    }
  }

  private armStall(attempt: Attempt): void {
    clearTimeout(attempt.stallTimer);
    const ms = this.options.stallTimeoutMs ?? 5000;
    attempt.stallTimer = setTimeout(() => {
      this.sink!.problem('mjpeg-stall', `${this.description}: no frame for ${ms} ms`);
      this.fail(attempt, `${this.description} stalled: no frame for ${ms} ms`);
    }, ms);
  }

  private end(attempt: Attempt): void {
    attempt.failed = true;
    clearTimeout(attempt.stallTimer);
    attempt.res?.destroy();
    attempt.req.destroy();
  }

  private fail(attempt: Attempt, reason: string): void {
    if (attempt.failed) return;
    this.end(attempt);
    if (this.stopped || this.attempt !== attempt) return;
    this.attempt = undefined;
    this.lastError = reason;
    this.sink!.down(reason);
    const delay = this.backoff.next();
    this.reconnects++;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
