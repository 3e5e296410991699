import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestPatternCamera } from '../camera/test-pattern.js';
import { startTicker } from '../util/ticker.js';

export interface MjpegCameraSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (ephemeral; read `url` after start). */
  port?: number;
  /** Default '/stream'; other paths answer 404. */
  path?: string;
  /** Default 10. */
  fps?: number;
  /** Frames to send: a list (looped) or a function of the frame number. Default: the 320x180 test pattern. */
  frames?: readonly Buffer[] | ((seq: number) => Buffer);
  /** Default 'frame'. */
  boundary?: string;
  /** Give each part a Content-Length (most cameras do). Default true. */
  contentLength?: boolean;
}

/**
 * A stand-in for an IP camera or ESP32-CAM: an HTTP server sending `multipart/x-mixed-replace`
 * JPEG parts at a set rate to every client. A client that cannot keep up skips frames, as a camera
 * does. For demos and tests: `const cam = new MjpegCameraSimulator(); const url = await cam.start();`.
 */
export class MjpegCameraSimulator {
  private readonly server: http.Server;
  private readonly clients = new Set<http.ServerResponse>();
  private stopTicker: (() => void) | undefined;
  private seq = 0;
  private served = 0;
  private readonly frameAt: (seq: number) => Buffer;
  private address: AddressInfo | undefined;

  constructor(private readonly options: MjpegCameraSimulatorOptions = {}) {
    const frames = options.frames;
    if (typeof frames === 'function') this.frameAt = frames;
    else if (frames && frames.length > 0) this.frameAt = (seq) => frames[seq % frames.length]!;
    else {
      const pattern = new TestPatternCamera({ width: 320, height: 180 });
      this.frameAt = (seq) => pattern.frame(seq);
    }
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  /** Listens and starts sending; resolves with the stream URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.address = this.server.address() as AddressInfo;
    this.stopTicker = startTicker(this.options.fps ?? 10, () => this.sendFrame());
    return this.url;
  }

  async stop(): Promise<void> {
    this.stopTicker?.();
    this.stopTicker = undefined;
    this.dropClients();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
  }

  get url(): string {
    if (!this.address) throw new Error('MjpegCameraSimulator: not started');
    return `http://${this.address.address}:${this.address.port}${this.options.path ?? '/stream'}`;
  }

  get port(): number {
    return this.address?.port ?? 0;
  }

  /** Stream requests answered since start. */
  get connections(): number {
    return this.served;
  }

  /** Streams open now. */
  get openStreams(): number {
    return this.clients.size;
  }

  /** Ends every open stream abruptly (a camera that disappears); new requests are still answered. */
  dropClients(): void {
    for (const res of this.clients) res.destroy();
    this.clients.clear();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if ((req.url ?? '/').split('?')[0] !== (this.options.path ?? '/stream')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    this.served++;
    res.writeHead(200, {
      'content-type': `multipart/x-mixed-replace; boundary=${this.options.boundary ?? 'frame'}`,
      'cache-control': 'no-cache, no-store',
      connection: 'close',
    });
    this.clients.add(res);
    const forget = () => this.clients.delete(res);
    res.on('close', forget);
    res.on('error', forget);
  }

  private sendFrame(): void {
    if (this.clients.size === 0) {
      this.seq++;
      return;
    }
    const jpeg = this.frameAt(this.seq++);
    const head = Buffer.from(
      `--${this.options.boundary ?? 'frame'}\r\nContent-Type: image/jpeg\r\n${this.options.contentLength === false ? '' : `Content-Length: ${jpeg.length}\r\n`}\r\n`,
      'latin1',
    );
    const part = Buffer.concat([head, jpeg, Buffer.from('\r\n')]);
    for (const res of this.clients) {
      // Like a camera: a client whose socket is still full skips this frame.
      if (res.writableNeedDrain) continue;
      res.write(part);
    }
  }
}
