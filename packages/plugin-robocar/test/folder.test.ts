import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleep, until } from '@acgateway/testing';
import { badInput, connectClient as client, makeJpeg, startCamera, startRobocar, tempFolder as folder } from './helpers.js';

const robocarOn = (camera: { path: string; fps?: number; rescanMs?: number }) => startCamera({ source: 'folder', ...camera });

const frameOf = (d: any) => Buffer.from(d.camera.frame, 'base64');

describe('folder camera', () => {
  it('loops over the JPEGs in natural name order at the set fps', async () => {
    const dir = await folder();
    const files = ['frame1.jpg', 'frame2.JPEG', 'frame10.jpg'];
    const jpegs = files.map((_, i) => makeJpeg(48 + 16 * i, 32, i));
    for (let i = 0; i < files.length; i++) await writeFile(path.join(dir, files[i]!), jpegs[i]!);
    await writeFile(path.join(dir, 'notes.txt'), 'not a picture');
    const r = await robocarOn({ path: dir, fps: 20 });
    const c = await client(r.url);
    await c.next('sensor_data', (d) => d.camera !== null);
    await sleep(600);
    const seen = c.of('sensor_data').filter((d) => d.camera).map((d) => jpegs.findIndex((j) => j.equals(frameOf(d))));
    expect(seen.every((i) => i >= 0)).toBe(true);
    // Consecutive frames step through 0,1,2,0,... (frame2 before frame10); a tick may miss one frame.
    const steps = seen.slice(1).map((v, i) => (v - seen[i]! + 3) % 3);
    expect(steps.filter((s) => s === 1).length).toBeGreaterThanOrEqual(steps.length - 3);
    // Width and height come from each file's own header.
    const d = c.of('sensor_data').find((x) => x.camera && frameOf(x).equals(jpegs[2]!));
    expect(d.camera).toMatchObject({ width: 80, height: 32 });
  });

  it('takes a glob', async () => {
    const dir = await folder();
    await writeFile(path.join(dir, 'a.jpg'), makeJpeg(40, 24, 1));
    await writeFile(path.join(dir, 'b.jpg'), makeJpeg(56, 24, 2));
    const r = await robocarOn({ path: path.join(dir, 'b*.jpg'), fps: 20 });
    const c = await client(r.url);
    const d = await c.next('sensor_data', (x) => x.camera !== null);
    expect(d.camera.width).toBe(56);
    await sleep(300);
    expect(c.of('sensor_data').filter((x) => x.camera).every((x) => x.camera.width === 56)).toBe(true);
  });

  it('resolves a relative path or glob from the config file\'s folder', async () => {
    const dir = await folder();
    await mkdir(path.join(dir, 'frames'));
    await writeFile(path.join(dir, 'frames', 'a.jpg'), makeJpeg(72, 24, 1));
    for (const rel of ['frames', 'frames/*.jpg']) {
      const r = await startRobocar({ publishRate: 20, camera: { source: 'folder', path: rel, fps: 20 } }, dir);
      const c = await client(r.url);
      expect((await c.next('sensor_data', (x) => x.camera !== null)).camera.width).toBe(72);
    }
  });

  it('skips a corrupt JPEG, counts and logs it, and keeps showing the good ones', async () => {
    const dir = await folder();
    const good = makeJpeg(64, 48, 3);
    await writeFile(path.join(dir, '1.jpg'), good);
    await writeFile(path.join(dir, '2.jpg'), good.subarray(0, good.length / 2)); // cut off mid-scan
    await writeFile(path.join(dir, '3.jpg'), Buffer.from('GIF89a, not a jpeg at all'));
    const r = await robocarOn({ path: dir, fps: 25 });
    const c = await client(r.url);
    // From the first frame on (a status tick can come before it), the bad files never take the camera down.
    await c.next('status', (d) => d.camera_connected === true);
    const from = c.events.length;
    await sleep(500);
    const since = c.events.slice(from);
    const frames = c.of('sensor_data').filter((d) => d.camera);
    expect(frames.length).toBeGreaterThan(3);
    expect(frames.every((d) => frameOf(d).equals(good))).toBe(true);
    expect(await badInput(r.t, 'corrupt-jpeg')).toBe(2); // each bad file once until the next rescan
    const warnings = r.t.logs.filter((l) => /skipped a corrupt JPEG/.test(String(l.msg))).map((l) => String(l.msg));
    expect(warnings.some((m) => m.includes('2.jpg') && m.includes('truncated'))).toBe(true);
    expect(warnings.some((m) => m.includes('3.jpg') && m.includes('does not start with the JPEG start-of-image marker'))).toBe(true);
    expect(since.filter((e) => e.event === 'status').every((e) => e.data.camera_connected)).toBe(true);
  });

  it('a folder with no images: camera null, camera_connected false, a reason; images added later are picked up', async () => {
    const dir = await folder();
    await writeFile(path.join(dir, 'readme.txt'), 'nothing to see');
    const r = await robocarOn({ path: dir, fps: 20, rescanMs: 200 });
    const c = await client(r.url);
    await c.next('status', (d) => 'camera_connected' in d);
    await sleep(300);
    expect(c.of('sensor_data').every((d) => d.camera === null)).toBe(true);
    expect(c.of('status').filter((d) => 'camera_connected' in d).every((d) => d.camera_connected === false)).toBe(true);
    const s: any = await r.t.dispatch('robocar status');
    expect(s.camera).toMatchObject({ connected: false, frames: 0 });
    expect(s.camera.reason).toMatch(/no JPEG files in .* \(looked for \*\.jpg and \*\.jpeg\)/);
    expect(r.t.logs.some((l) => l.level === 40 && /camera unavailable: no JPEG files/.test(String(l.msg)))).toBe(true);
    await writeFile(path.join(dir, 'late.jpg'), makeJpeg(32, 32, 9));
    await c.next('sensor_data', (d) => d.camera !== null, 3000);
    await c.next('status', (d) => d.camera_connected === true);
  });

  it('a folder that does not exist says so', async () => {
    const dir = await folder();
    const r = await robocarOn({ path: path.join(dir, 'missing') });
    const s: any = await r.t.dispatch('robocar status');
    expect(s.camera.reason).toMatch(/missing does not exist/);
    const c = await client(r.url);
    expect(await c.next('status', (d) => 'camera_connected' in d)).toMatchObject({ camera_connected: false });
  });

  it('a camera folder that disappears mid-stream, then comes back', async () => {
    const dir = await folder();
    const cam = path.join(dir, 'cam');
    await mkdir(cam);
    for (let i = 0; i < 3; i++) await writeFile(path.join(cam, `${i}.jpg`), makeJpeg(32, 32, i));
    const r = await robocarOn({ path: cam, fps: 20, rescanMs: 200 });
    const c = await client(r.url);
    await c.next('status', (d) => d.camera_connected === true);
    await rename(cam, path.join(dir, 'away'));
    await c.next('status', (d) => d.camera_connected === false, 3000);
    await sleep(200);
    const from = c.events.length;
    await sleep(300);
    expect(c.events.slice(from).filter((e) => e.event === 'sensor_data').every((e) => e.data.camera === null)).toBe(true);
    expect(r.t.host.bus.last('robocar/frame')).toBeUndefined(); // the stale frame is no longer retained
    await rename(path.join(dir, 'away'), cam);
    await c.next('status', (d) => d.camera_connected === true, 3000);
    await rm(cam, { recursive: true });
    await until('camera lost', async () => ((await r.t.dispatch('robocar status')) as any).camera.connected === false, 3000);
    expect(r.t.logs.some((l) => /camera lost/.test(String(l.msg)))).toBe(true);
  });
});
