import http from 'node:http';
import https from 'node:https';
import { JpegSplitter } from '../wire/jpeg/splitter.js';
import { boundaryOf, MultipartError, MultipartParser } from '../wire/mjpeg/multipart.js';
import { ReconnectingCamera, type Link, type ReconnectTiming } from './reconnecting.js';

export interface MjpegCameraOptions extends ReconnectTiming {
  /** An MJPEG stream, e.g. `http://192.168.4.1:81/stream` (ESP32-CAM) or an IP camera's `/video.mjpg`. */
  url: string;
  /** Extra request headers (e.g. authorization). Credentials in the URL are sent as basic auth. */
  headers?: Record<string, string>;
  /** Larger parts (or that many bytes without a boundary) are garbage. Default 8 MiB. */
  maxFrameBytes?: number;
  /** This many corrupt frames in a row mean the stream is garbage: it is reconnected. Default 5. */
  maxBadFrames?: number;
}

interface Attempt extends Link {
  req: http.ClientRequest;
  res?: http.IncomingMessage;
  badRun: number;
}

/**
 * Reads an MJPEG-over-HTTP stream: `multipart/x-mixed-replace` parts (cut by Content-Length or by
 * boundary), or, for any other content type, JPEG files back to back. Every failure (refused,
 * HTTP error, stall, garbage, the camera closing) reconnects with a growing delay.
 */
export class MjpegHttpCamera extends ReconnectingCamera<Attempt> {
  readonly kind = 'mjpeg' as const;
  readonly description: string;
  private readonly url: URL;

  constructor(private readonly options: MjpegCameraOptions) {
    super(options, 'mjpeg-stall');
    this.url = new URL(options.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new Error(`camera.url must be http: or https:, got ${this.url.protocol}`);
    const shown = new URL(this.url);
    if (shown.password) shown.password = '***';
    this.description = `MJPEG ${shown.toString()}`;
  }

  details(): Record<string, unknown> {
    return { connects: this.opened, reconnects: this.retries, lastError: this.lastError };
  }

  protected open(): Attempt {
    const sink = this.sink;
    const get = this.url.protocol === 'https:' ? https.get : http.get;
    const req = get(this.url, {
      agent: false,
      headers: { 'user-agent': 'acgateway-robocar', accept: 'multipart/x-mixed-replace, image/jpeg;q=0.9, */*;q=0.1', ...this.options.headers },
    });
    const attempt: Attempt = { req, ended: false, badRun: 0 };
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
        if (attempt.ended) return;
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
    return attempt;
  }

  protected close(attempt: Attempt): void {
    attempt.res?.destroy();
    attempt.req.destroy();
  }

  private frame(attempt: Attempt, jpeg: Buffer): void {
    if (attempt.ended) return;
    if (this.sink.jpeg(jpeg, this.description)) {
      attempt.badRun = 0;
      this.good(attempt);
      return;
    }
    attempt.badRun++;
    const max = this.options.maxBadFrames ?? 5;
    if (attempt.badRun >= max) {
      this.sink.problem('mjpeg-garbage', `${this.description}: ${attempt.badRun} corrupt frames in a row`);
      this.fail(attempt, `garbage from ${this.description}: ${attempt.badRun} corrupt frames in a row`);
    }
  }
}
