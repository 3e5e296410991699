/** The ffmpeg command line that reads a V4L2 device and writes JPEG files back to back on stdout. */

export interface V4l2CaptureSettings {
  device: string;
  width?: number;
  height?: number;
  fps?: number;
  /** The device's pixel format to ask for (`-input_format`): 'mjpeg' passes the camera's own JPEGs through. */
  inputFormat?: string;
  /** ffmpeg's JPEG quality scale when it encodes: 2 (best) to 31. */
  qscale: number;
  /** Replaces the V4L2 input arguments (`-f v4l2 ... -i device`), e.g. an RTSP URL or a lavfi test source. */
  inputArgs?: readonly string[];
}

export function ffmpegV4l2Args(s: V4l2CaptureSettings): string[] {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-fflags', 'nobuffer'];
  if (s.inputArgs) args.push(...s.inputArgs);
  else {
    args.push('-f', 'v4l2');
    if (s.inputFormat) args.push('-input_format', s.inputFormat);
    if (s.fps) args.push('-framerate', String(s.fps));
    if (s.width && s.height) args.push('-video_size', `${s.width}x${s.height}`);
    args.push('-i', s.device);
  }
  // A camera that already sends MJPEG needs no second encode (cheap on a small robot computer).
  if (s.inputFormat === 'mjpeg') args.push('-c:v', 'copy');
  else args.push('-c:v', 'mjpeg', '-q:v', String(s.qscale));
  args.push('-f', 'mjpeg', 'pipe:1');
  return args;
}
