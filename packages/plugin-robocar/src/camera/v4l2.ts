import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { JpegSplitter } from '../jpeg/splitter.js';
import { Backoff } from '../util/backoff.js';
import { ffmpegV4l2Args } from './ffmpeg-args.js';
import type { CameraSink, CameraSource } from './types.js';

export interface V4l2CameraOptions {
  /** Default /dev/video0. */
  device?: string;
  /** Capture size; the device's default when not given (both or neither). */
  width?: number;
  height?: number;
  /** Capture rate; the device's default when not given. */
  fps?: number;
  /** Pixel format to ask the device for, e.g. 'mjpeg' (passed through, no re-encode) or 'yuyv422'. */
  inputFormat?: string;
  /** ffmpeg JPEG quality scale when it encodes: 2 (best) to 31. Default 5. */
  qscale?: number;
  /** Default 'ffmpeg' (looked up on PATH). */
  ffmpegPath?: string;
  /** Replaces the V4L2 input arguments, e.g. ['-rtsp_transport', 'tcp', '-i', 'rtsp://…']. */
  inputArgs?: readonly string[];
  /** No frame for this long: ffmpeg is killed and started again. Default 5000 ms. */
  stallTimeoutMs?: number;
  retryMs?: number;
  retryMaxMs?: number;
  maxFrameBytes?: number;
}

type Ffmpeg = ChildProcessByStdio<null, Readable, Readable>;

interface Run {
  child: Ffmpeg;
  failed: boolean;
  stallTimer?: NodeJS.Timeout;
  stderrTail: string;
  exited: Promise<void>;
}

/** A V4L2 device (USB webcam, CSI camera) through an ffmpeg child process writing MJPEG to stdout. */
export class V4l2Camera implements CameraSource {
  readonly kind = 'v4l2' as const;
  readonly description: string;
  private readonly backoff: Backoff;
  private run: Run | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private sink: CameraSink | undefined;
  private stopped = true;
  private starts = 0;
  private lastError: string | undefined;
  private ffmpegMissingLogged = false;

  constructor(private readonly options: V4l2CameraOptions = {}) {
    const o = options;
    this.description = o.inputArgs ? `ffmpeg ${o.inputArgs.join(' ')}` : `V4L2 ${o.device ?? '/dev/video0'}${o.width && o.height ? ` ${o.width}x${o.height}` : ''}${o.fps ? ` at ${o.fps} fps` : ''}`;
    this.backoff = new Backoff(o.retryMs ?? 500, o.retryMaxMs ?? 10_000);
  }

  /** The ffmpeg arguments this camera runs. */
  args(): string[] {
    const o = this.options;
    return ffmpegV4l2Args({ device: o.device ?? '/dev/video0', width: o.width, height: o.height, fps: o.fps, inputFormat: o.inputFormat, qscale: o.qscale ?? 5, inputArgs: o.inputArgs });
  }

  start(sink: CameraSink): void {
    this.sink = sink;
    this.stopped = false;
    this.spawn();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const run = this.run;
    this.run = undefined;
    if (run) await this.kill(run);
  }

  details(): Record<string, unknown> {
    return { ffmpegStarts: this.starts, pid: this.run?.child.pid, lastError: this.lastError };
  }

  private spawn(): void {
    if (this.stopped) return;
    const sink = this.sink!;
    const ffmpeg = this.options.ffmpegPath ?? 'ffmpeg';
    this.starts++;
    const child = spawn(ffmpeg, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: Run = {
      child,
      failed: false,
      stderrTail: '',
      exited: new Promise((resolve) => child.once('close', () => resolve())),
    };
    this.run = run;
    this.armStall(run);
    const splitter = new JpegSplitter({
      maxFrameBytes: this.options.maxFrameBytes ?? 16 << 20,
      onFrame: (jpeg) => {
        if (run.failed) return;
        if (sink.jpeg(jpeg, this.description)) {
          this.backoff.reset();
          this.armStall(run);
        }
      },
      onGarbage: (bytes, reason) => sink.problem('ffmpeg-garbage', `ffmpeg output for ${this.description}: ${bytes ? `${bytes} bytes skipped, ` : ''}${reason}`),
    });
    child.stdout.on('data', (chunk: Buffer) => splitter.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      run.stderrTail = (run.stderrTail + text).slice(-2000);
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        const reason = `ffmpeg was not found ("${ffmpeg}"): install ffmpeg or set camera.ffmpegPath; the V4L2 camera needs it`;
        if (!this.ffmpegMissingLogged) sink.logger.error(reason);
        this.ffmpegMissingLogged = true;
        this.fail(run, reason);
      } else this.fail(run, `cannot run ffmpeg ("${ffmpeg}"): ${err.message}`);
    });
    child.once('close', (code, signal) => {
      const said = lastLine(run.stderrTail);
      this.fail(run, `ffmpeg for ${this.description} exited (${signal ?? `code ${code}`})${said ? `: ${said}` : ''}`);
    });
  }

  private armStall(run: Run): void {
    clearTimeout(run.stallTimer);
    const ms = this.options.stallTimeoutMs ?? 5000;
    run.stallTimer = setTimeout(() => {
      this.sink!.problem('camera-stall', `${this.description}: no frame for ${ms} ms`);
      this.fail(run, `${this.description} stalled: no frame for ${ms} ms`);
    }, ms);
  }

  private fail(run: Run, reason: string): void {
    if (run.failed) return;
    run.failed = true;
    clearTimeout(run.stallTimer);
    void this.kill(run);
    if (this.stopped || this.run !== run) return;
    this.run = undefined;
    this.lastError = reason;
    this.sink!.down(reason);
    this.retryTimer = setTimeout(() => this.spawn(), this.backoff.next());
  }

  /** SIGTERM, then SIGKILL if ffmpeg has not gone within 2 s. */
  private async kill(run: Run): Promise<void> {
    run.failed = true;
    clearTimeout(run.stallTimer);
    const child = run.child;
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await run.exited;
    clearTimeout(timer);
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split(/\r?\n/);
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
