import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ffmpegV4l2Args } from '@acgateway/plugin-robocar';
import { until } from '@acgateway/testing';
import { connectClient as client, FAST_RETRY, makeJpeg, startCamera, tempFolder, type CameraSettings, type Robocar } from './helpers.js';

/**
 * A stand-in for ffmpeg: a real child process that takes our command line and writes JPEG files
 * back to back on stdout, as `ffmpeg -f mjpeg pipe:1` does. Its "device" is a folder of JPEGs; a
 * missing device fails as ffmpeg does; a file `exit-after` makes it stop after that many frames
 * (the camera unplugged). It records its arguments in `args.json` next to the device.
 */
const FAKE_FFMPEG = `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
const device = args[args.indexOf('-i') + 1];
const rate = Number(args.includes('-framerate') ? args[args.indexOf('-framerate') + 1] : 25);
if (!fs.existsSync(device)) { process.stderr.write(device + ': No such file or directory\\n'); process.exit(1); }
fs.writeFileSync(path.join(path.dirname(device), 'args.json'), JSON.stringify(args));
const frames = fs.readdirSync(device).filter((f) => f.endsWith('.jpg')).sort().map((f) => fs.readFileSync(path.join(device, f)));
const exitFile = path.join(device, 'exit-after');
const exitAfter = fs.existsSync(exitFile) ? Number(fs.readFileSync(exitFile, 'utf8')) : Infinity;
let n = 0;
setInterval(() => {
  if (n >= exitAfter) process.exit(0);
  const f = frames[n++ % frames.length];
  // Two writes per frame, so frames straddle pipe reads.
  process.stdout.write(f.subarray(0, 7));
  process.stdout.write(f.subarray(7));
}, 1000 / rate);
`;

async function setup() {
  const dir = await tempFolder();
  const ffmpeg = path.join(dir, 'ffmpeg');
  await writeFile(ffmpeg, FAKE_FFMPEG);
  await chmod(ffmpeg, 0o755);
  const device = path.join(dir, 'video0');
  await mkdir(device);
  for (let i = 0; i < 3; i++) await writeFile(path.join(device, `${i}.jpg`), makeJpeg(64, 48, i));
  return { dir, ffmpeg, device };
}

const robocarOn = (camera: Omit<Extract<CameraSettings, { source: 'v4l2' }>, 'source'>) => startCamera({ source: 'v4l2', ...FAST_RETRY, ...camera });

const status = async (r: Robocar) => ((await r.t.dispatch('robocar status')) as any).camera;

describe('V4L2 camera through ffmpeg', () => {
  it('builds the ffmpeg command line', () => {
    expect(ffmpegV4l2Args({ device: '/dev/video2', width: 640, height: 480, fps: 15, inputFormat: 'mjpeg', qscale: 5 })).toEqual(
      ['-hide_banner', '-nostdin', '-loglevel', 'error', '-fflags', 'nobuffer', '-f', 'v4l2', '-input_format', 'mjpeg', '-framerate', '15', '-video_size', '640x480', '-i', '/dev/video2', '-c:v', 'copy', '-f', 'mjpeg', 'pipe:1'],
    );
    expect(ffmpegV4l2Args({ device: '/dev/video0', qscale: 7 }).slice(-9)).toEqual(['-i', '/dev/video0', '-c:v', 'mjpeg', '-q:v', '7', '-f', 'mjpeg', 'pipe:1']);
  });

  it('gives a clear error when ffmpeg is not installed, and streams without a camera', async () => {
    const { dir } = await setup();
    const r = await robocarOn({ ffmpegPath: path.join(dir, 'not-here', 'ffmpeg') });
    await until('the error', async () => /ffmpeg was not found/.test((await status(r)).reason ?? ''), 3000);
    const s = await status(r);
    expect(s).toMatchObject({ source: 'v4l2', connected: false });
    expect(s.reason).toContain('install ffmpeg or set camera.ffmpegPath');
    expect(r.t.logs.filter((l) => l.level === 50 && /ffmpeg was not found/.test(String(l.msg)))).toHaveLength(1);
    const c = await client(r.url);
    expect(await c.next('sensor_data')).toMatchObject({ camera: null });
    expect(await c.next('status', (d) => 'camera_connected' in d)).toMatchObject({ camera_connected: false });
  });

  it('streams the frames ffmpeg writes, with the settings on its command line', async () => {
    const { ffmpeg, device, dir } = await setup();
    const r = await robocarOn({ ffmpegPath: ffmpeg, device, width: 64, height: 48, fps: 25, inputFormat: 'mjpeg' });
    const c = await client(r.url);
    const d = await c.next('sensor_data', (x) => x.camera !== null, 5000);
    expect(d.camera).toMatchObject({ width: 64, height: 48, format: 'jpeg' });
    await c.next('status', (x) => x.camera_connected === true);
    const args = JSON.parse(await readFile(path.join(dir, 'args.json'), 'utf8'));
    expect(args).toEqual(ffmpegV4l2Args({ device, width: 64, height: 48, fps: 25, inputFormat: 'mjpeg', qscale: 5 }));
  });

  it('restarts ffmpeg when the camera disappears mid-stream, and names a missing device', async () => {
    const { ffmpeg, device } = await setup();
    await writeFile(path.join(device, 'exit-after'), '4');
    const r = await robocarOn({ ffmpegPath: ffmpeg, device, fps: 25 });
    await until('ffmpeg restarted twice', async () => (await status(r)).ffmpegStarts >= 3, 6000);
    expect(r.t.logs.some((l) => /camera lost: ffmpeg for .* exited \(code 0\)/.test(String(l.msg)))).toBe(true);
    expect((await status(r)).frames).toBeGreaterThanOrEqual(8);

    const gone = await robocarOn({ ffmpegPath: ffmpeg, device: path.join(device, '..', 'video9') });
    await until('the device error', async () => /No such file or directory/.test((await status(gone)).reason ?? ''), 3000);
    expect((await status(gone)).reason).toMatch(/exited \(code 1\): .*video9: No such file or directory/);
  });

  // Under CI an absent ffmpeg is a failure, not a skip (.ci/run installs Debian's package).
  const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0 || process.env.CI === 'true';
  if (!hasFfmpeg) console.warn('real-ffmpeg tests skipped: ffmpeg is not installed (Debian package "ffmpeg"; .ci/run installs it)');
  it.skipIf(!hasFfmpeg)('reads a real ffmpeg (lavfi test source standing in for a device)', async () => {
    const r = await robocarOn({ inputArgs: ['-re', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=15'] });
    const c = await client(r.url);
    const d = await c.next('sensor_data', (x) => x.camera !== null, 8000);
    expect(d.camera).toMatchObject({ width: 160, height: 120, format: 'jpeg' });
  });

  it.skipIf(!hasFfmpeg)('passes a real ffmpeg our V4L2 options; a missing device is named in the reason', async () => {
    const r = await robocarOn({ device: '/dev/video-robocar-test-missing', width: 640, height: 480, fps: 15, inputFormat: 'mjpeg' });
    await until('the device error', async () => /exited/.test((await status(r)).reason ?? ''), 5000);
    expect((await status(r)).reason).toMatch(/exited \(code \d+\): .*video-robocar-test-missing: No such file or directory/);
  });
});
