import { describe, expect, it } from 'vitest';
import { createTestHost } from '@acgateway/testing';
import robocar, { robocarOptions } from '@acgateway/plugin-robocar';

describe('options', () => {
  it("defaults to the original stream: 127.0.0.1:3000, /socket.io/, 10 Hz, no camera; browser pages: the gateway's list", () => {
    expect(robocarOptions.parse({})).toEqual({ host: '127.0.0.1', port: 3000, path: '/socket.io/', publishRate: 10 });
    expect(robocarOptions.parse({ camera: { source: 'test-pattern' } }).camera).toEqual({ source: 'test-pattern', width: 320, height: 180, fps: 10, quality: 85 });
    expect(robocarOptions.parse({ camera: { source: 'v4l2' } }).camera).toMatchObject({ device: '/dev/video0', ffmpegPath: 'ffmpeg', qscale: 5, stallTimeoutMs: 5000 });
  });

  it('refuses bad camera settings with the path of the bad key', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ camera: { source: 'folder' } }, /robocar\.camera\.path/],
      [{ camera: { source: 'mjpeg', url: 'ftp://cam/stream' } }, /robocar\.camera\.url: expected an http:\/\/ or https:\/\/ URL/],
      [{ camera: { source: 'webcam' } }, /robocar\.camera\.source/],
      [{ camera: { source: 'v4l2', width: 640 } }, /give both width and height/],
      [{ camera: { source: 'test-pattern', fsp: 10 } }, /robocar\.camera.*fsp/],
      [{ publishRate: 0 }, /robocar\.publishRate/],
    ];
    for (const [options, re] of cases) {
      await expect(createTestHost({ plugins: [robocar(options as any)] })).rejects.toThrow(re);
    }
  });
});
