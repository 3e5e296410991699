import type { Logger } from '@acgateway/core';

export type CameraKind = 'test-pattern' | 'folder' | 'mjpeg' | 'v4l2';

/** Where a camera source delivers what it gets. Implemented by CameraFeed. */
export interface CameraSink {
  /**
   * A JPEG from the camera. Returns false when it was rejected as corrupt (already counted and
   * logged), so a source can react to a run of bad frames.
   */
  jpeg(data: Buffer, origin?: string): boolean;
  /** The camera is unavailable; the reason shows in status and logs. */
  down(reason: string): void;
  /** Bad input that is not a frame (garbage bytes, a stall): counted and logged, rate-limited. */
  problem(kind: string, message: string): void;
  readonly logger: Logger;
}

/** One camera: a folder of JPEGs, an MJPEG URL, a V4L2 device, a test pattern. */
export interface CameraSource {
  readonly kind: CameraKind;
  /** Where the frames come from, for logs and status: a folder, a URL, a device. */
  readonly description: string;
  /** Begins delivering frames to the sink. Problems are reported to the sink, not thrown: the stream runs without a camera. */
  start(sink: CameraSink): void | Promise<void>;
  stop(): void | Promise<void>;
  /** Source-specific figures for status (reconnects, files ...). */
  details?(): Record<string, unknown>;
}
