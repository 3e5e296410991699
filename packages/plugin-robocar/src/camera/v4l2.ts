import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { JpegSplitter } from '../wire/jpeg/splitter.js';
import { ffmpegV4l2Args } from './ffmpeg-args.js';
import { ReconnectingCamera, type Link, type ReconnectTiming } from './reconnecting.js';

/** `stallTimeoutMs`: no frame for this long, ffmpeg is killed and started again. */
export interface V4l2CameraOptions extends ReconnectTiming {
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
  maxFrameBytes?: number;
}

type Ffmpeg = ChildProcessByStdio<null, Readable, Readable>;

interface Run extends Link {
  child: Ffmpeg;
  stderrTail: string;
  exited: Promise<void>;
}

/** A V4L2 device (USB webcam, CSI camera) through an ffmpeg child process writing MJPEG to stdout. */
export class V4l2Camera extends ReconnectingCamera<Run> {
  readonly kind = 'v4l2' as const;
  readonly description: string;
  private ffmpegMissingLogged = false;

  constructor(private readonly options: V4l2CameraOptions = {}) {
    super(options, 'camera-stall');
    const o = options;
    this.description = o.inputArgs ? `ffmpeg ${o.inputArgs.join(' ')}` : `V4L2 ${o.device ?? '/dev/video0'}${o.width && o.height ? ` ${o.width}x${o.height}` : ''}${o.fps ? ` at ${o.fps} fps` : ''}`;
  }

  /** The ffmpeg arguments this camera runs. */
  args(): string[] {
    const o = this.options;
    return ffmpegV4l2Args({ device: o.device ?? '/dev/video0', width: o.width, height: o.height, fps: o.fps, inputFormat: o.inputFormat, qscale: o.qscale ?? 5, inputArgs: o.inputArgs });
  }

  details(): Record<string, unknown> {
    return { ffmpegStarts: this.opened, pid: this.link?.child.pid, lastError: this.lastError };
  }

  protected open(): Run {
    const sink = this.sink;
    const ffmpeg = this.options.ffmpegPath ?? 'ffmpeg';
    const child = spawn(ffmpeg, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: Run = {
      child,
      ended: false,
      stderrTail: '',
      exited: new Promise((resolve) => child.once('close', () => resolve())),
    };
    const splitter = new JpegSplitter({
      maxFrameBytes: this.options.maxFrameBytes ?? 16 << 20,
      onFrame: (jpeg) => {
        if (!run.ended && sink.jpeg(jpeg, this.description)) this.good(run);
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
    return run;
  }

  /** SIGTERM, then SIGKILL if ffmpeg has not gone within 2 s. */
  protected async close(run: Run): Promise<void> {
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
