import { z } from '@acgateway/core';

const fps = z.number().positive().max(120);
const ms = z.number().int().positive();

function isHttpUrl(u: string): boolean {
  try {
    const p = new URL(u).protocol;
    return p === 'http:' || p === 'https:';
  } catch {
    return false;
  }
}

const testPattern = z.strictObject({
  source: z.literal('test-pattern'),
  width: z.number().int().min(8).max(4096).default(320),
  height: z.number().int().min(8).max(4096).default(180),
  fps: fps.default(10),
  /** JPEG quality 1-100 (the original encodes at 85). */
  quality: z.number().int().min(1).max(100).default(85),
});

const folder = z.strictObject({
  source: z.literal('folder'),
  /** A folder of .jpg/.jpeg files, one file, or a glob (`frames/*.jpg`); relative to the config file's folder. */
  path: z.string().min(1),
  fps: fps.default(10),
  /** How often the file list is read again, ms. */
  rescanMs: ms.default(5000),
});

const reconnect = {
  /** No good frame for this long: the stream is dropped and reconnected. */
  stallTimeoutMs: ms.default(5000),
  /** First reconnect delay, doubling up to retryMaxMs after each failure. */
  retryMs: ms.default(500),
  retryMaxMs: ms.default(10_000),
  /** A larger frame is garbage. */
  maxFrameBytes: z.number().int().positive().default(8 << 20),
};

const mjpeg = z.strictObject({
  source: z.literal('mjpeg'),
  url: z.string().refine(isHttpUrl, 'expected an http:// or https:// URL'),
  headers: z.record(z.string(), z.string()).optional(),
  /** Corrupt frames in a row after which the stream counts as garbage and is reconnected. */
  maxBadFrames: z.number().int().positive().default(5),
  ...reconnect,
});

const v4l2 = z
  .strictObject({
    source: z.literal('v4l2'),
    device: z.string().min(1).default('/dev/video0'),
    width: z.number().int().positive().optional(),
    height: z.number().int().positive().optional(),
    fps: fps.optional(),
    /** Device pixel format (`-input_format`): 'mjpeg' passes the camera's JPEGs through without re-encoding. */
    inputFormat: z.string().min(1).optional(),
    /** ffmpeg JPEG quality scale, 2 (best) to 31. */
    qscale: z.number().int().min(2).max(31).default(5),
    ffmpegPath: z.string().min(1).default('ffmpeg'),
    /** Replaces the V4L2 input arguments of ffmpeg (an RTSP URL, a lavfi test source ...). */
    inputArgs: z.array(z.string()).min(1).optional(),
    ...reconnect,
  })
  .refine((o) => (o.width === undefined) === (o.height === undefined), { message: 'give both width and height, or neither', path: ['width'] });

export const cameraOptions = z.discriminatedUnion('source', [testPattern, folder, mjpeg, v4l2]);

export const robocarOptions = z.strictObject({
  /** The original bound 0.0.0.0; acgateway endpoints bind loopback unless told otherwise. */
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(3000),
  path: z.string().min(1).default('/socket.io/'),
  /** sensor_data and status per second. */
  publishRate: z.number().positive().max(100).default(10),
  /**
   * Browser pages (origins) allowed to connect besides the gateway's own; ['*'] = any page (the
   * original's CORS setting). Default: the gateway's `server.allowedOrigins`.
   */
  allowedOrigins: z.array(z.string().min(1)).optional(),
  /** Retired in favour of `allowedOrigins` (a config that still sets it is told, and it is mapped over). */
  cors: z.union([z.boolean(), z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** Without a camera the stream sends `camera: null` and `camera_connected: false`. */
  camera: cameraOptions.optional(),
});

export type RobocarOptions = z.output<typeof robocarOptions>;
export type RobocarOptionsInput = z.input<typeof robocarOptions>;
export type CameraOptions = z.output<typeof cameraOptions>;
