import type { CameraOptions } from '../options.js';
import { FolderCamera } from './folder.js';
import { MjpegHttpCamera } from './mjpeg-http.js';
import { TestPatternCamera } from './test-pattern.js';
import type { CameraSource } from './types.js';
import { V4l2Camera } from './v4l2.js';

/**
 * The camera source the options name. `startAfter`: a generated picture (the test pattern) does its
 * start-up encoding only once this settles (the plugin passes "the host is running").
 */
export function createCameraSource(o: CameraOptions, cwd?: string, startAfter?: () => PromiseLike<unknown>): CameraSource {
  switch (o.source) {
    case 'test-pattern':
      return new TestPatternCamera({ width: o.width, height: o.height, fps: o.fps, quality: o.quality, startAfter });
    case 'folder':
      return new FolderCamera({ path: o.path, fps: o.fps, rescanMs: o.rescanMs, cwd });
    case 'mjpeg':
      return new MjpegHttpCamera(o);
    case 'v4l2':
      return new V4l2Camera(o);
  }
}
