import type { CameraOptions } from '../options.js';
import { FolderCamera } from './folder.js';
import { MjpegHttpCamera } from './mjpeg-http.js';
import { TestPatternCamera } from './test-pattern.js';
import type { CameraSource } from './types.js';
import { V4l2Camera } from './v4l2.js';

/** The camera source the options name. */
export function createCameraSource(o: CameraOptions, cwd?: string): CameraSource {
  switch (o.source) {
    case 'test-pattern':
      return new TestPatternCamera({ width: o.width, height: o.height, fps: o.fps, quality: o.quality });
    case 'folder':
      return new FolderCamera({ path: o.path, fps: o.fps, rescanMs: o.rescanMs, cwd });
    case 'mjpeg':
      return new MjpegHttpCamera(o);
    case 'v4l2':
      return new V4l2Camera(o);
  }
}
