import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readJpegInfo } from '@acgateway/plugin-robocar';
import { MjpegCameraSimulator } from '@acgateway/plugin-robocar/fake';
import { until } from '@acgateway/testing';
import { badInput, connectClient as client, FAST_RETRY, makeJpeg, startCamera } from './helpers.js';

const robocarOn = (url: string, extra: { stallTimeoutMs?: number; maxFrameBytes?: number; maxBadFrames?: number } = {}) =>
  startCamera({ source: 'mjpeg', url, ...FAST_RETRY, ...extra });

async function simulator(options: ConstructorParameters<typeof MjpegCameraSimulator>[0]) {
  const sim = new MjpegCameraSimulator(options);
  await sim.start();
  onTestFinished(() => sim.stop());
  return sim;
}

/** A hand-written camera server: `onStream(res, n)` writes the body of the n-th request. */
async function rawCamera(onStream: (res: http.ServerResponse, n: number) => void) {
  let n = 0;
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((_req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    onStream(res, ++n);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const stop = async () => {
    for (const res of open) res.destroy();
    await new Promise((r) => server.close(r));
  };
  onTestFinished(stop);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream`, requests: () => n };
}

const part = (jpeg: Buffer, boundary = 'frame') =>
  Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`), jpeg, Buffer.from('\r\n')]);

describe('MJPEG over HTTP camera', () => {
  it('streams frames from a multipart camera (Content-Length parts), size read from each JPEG', async () => {
    const frames = [makeJpeg(200, 120, 1), makeJpeg(200, 120, 2), makeJpeg(200, 120, 3)];
    const sim = await simulator({ fps: 25, frames });
    const r = await robocarOn(sim.url);
    const c = await client(r.url);
    const d = await c.next('sensor_data', (x) => x.camera !== null);
    expect(d.camera).toMatchObject({ width: 200, height: 120, format: 'jpeg' });
    const jpeg = Buffer.from(d.camera.frame, 'base64');
    expect(frames.some((f) => f.equals(jpeg))).toBe(true); // passed through byte for byte
    await c.next('status', (x) => x.camera_connected === true);
    expect(sim.connections).toBe(1);
  });

  it('reads parts without Content-Length (cut at the boundary)', async () => {
    const sim = await simulator({ fps: 25, contentLength: false, boundary: 'Ba_Ndary-42' });
    const r = await robocarOn(sim.url);
    const c = await client(r.url);
    const d = await c.next('sensor_data', (x) => x.camera !== null);
    expect(readJpegInfo(Buffer.from(d.camera.frame, 'base64'))).toMatchObject({ width: 320, height: 180 });
  });

  it('reads a non-multipart stream of JPEG files back to back, sending URL credentials as basic auth', async () => {
    const frames = [makeJpeg(40, 30, 1), makeJpeg(40, 30, 2)];
    let auth: string | undefined;
    const cam = await rawCamera((res) => {
      auth = res.req.headers.authorization;
      res.writeHead(200, { 'content-type': 'video/x-motion-jpeg' });
      let i = 0;
      const timer = setInterval(() => res.write(frames[i++ % 2]!), 20);
      res.on('close', () => clearInterval(timer));
    });
    const r = await robocarOn(cam.url.replace('http://', 'http://robot:s3cret@'));
    const c = await client(r.url);
    const d = await c.next('sensor_data', (x) => x.camera !== null);
    expect(frames.some((f) => f.equals(Buffer.from(d.camera.frame, 'base64')))).toBe(true);
    expect(auth).toBe(`Basic ${Buffer.from('robot:s3cret').toString('base64')}`);
    const s: any = await r.t.dispatch('robocar status');
    expect(s.camera.description).not.toContain('s3cret');
  });

  it('reconnects a stream that stalls', async () => {
    const frame = makeJpeg(64, 48, 5);
    const cam = await rawCamera((res) => {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
      res.write(part(frame));
      res.write(part(frame)); // then silence, connection left open
    });
    const r = await robocarOn(cam.url, { stallTimeoutMs: 300 });
    await until('three connections', () => cam.requests() >= 3, 5000);
    expect(await badInput(r.t, 'mjpeg-stall')).toBeGreaterThanOrEqual(2);
    const s: any = await r.t.dispatch('robocar status');
    expect(s.camera.frames).toBeGreaterThanOrEqual(4);
    expect(r.t.logs.some((l) => /stalled: no frame for 300 ms/.test(String(l.msg)))).toBe(true);
  });

  it('reconnects a stream of garbage (no boundary in sight)', async () => {
    const cam = await rawCamera((res) => {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
      const junk = Buffer.alloc(16 * 1024, 0x5a);
      const timer = setInterval(() => res.write(junk), 5);
      res.on('close', () => clearInterval(timer));
    });
    const r = await robocarOn(cam.url, { maxFrameBytes: 64 * 1024 });
    await until('a reconnect', () => cam.requests() >= 2, 5000);
    expect(await badInput(r.t, 'mjpeg-garbage')).toBeGreaterThanOrEqual(1);
    const s: any = await r.t.dispatch('robocar status');
    expect(s.camera.connected).toBe(false);
    expect(s.camera.reason).toMatch(/garbage .*no boundary "--frame" within 65536 bytes/);
  });

  it('skips corrupt parts, and reconnects after a run of them', async () => {
    const good = makeJpeg(96, 64, 7);
    const truncated = good.subarray(0, good.length - 100);
    const cam = await rawCamera((res, n) => {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
      // First connection: a good frame then corrupt ones; later ones: good frames only.
      const frames = n === 1 ? [good, ...Array(8).fill(truncated)] : Array(50).fill(good);
      let i = 0;
      const timer = setInterval(() => (i < frames.length ? res.write(part(frames[i++])) : clearInterval(timer)), 10);
      res.on('close', () => clearInterval(timer));
    });
    const r = await robocarOn(cam.url, { maxBadFrames: 3 });
    await until('a reconnect', () => cam.requests() >= 2, 5000);
    expect(await badInput(r.t, 'corrupt-jpeg')).toBeGreaterThanOrEqual(3);
    expect(r.t.logs.some((l) => /skipped a corrupt JPEG .*truncated/.test(String(l.msg)))).toBe(true);
    const c = await client(r.url);
    await c.next('status', (x) => x.camera_connected === true);
  });

  it('reports a camera that disappears mid-stream, then picks it up again', async () => {
    const sim = await simulator({ fps: 25 });
    const port = sim.port;
    const r = await robocarOn(sim.url);
    const c = await client(r.url);
    await c.next('status', (x) => x.camera_connected === true);
    await sim.stop(); // the camera is unplugged: stream cut, connection refused
    const down = await c.next('status', (x) => x.camera_connected === false);
    expect(down.clients_connected).toBe(1);
    const s: any = await r.t.dispatch('robocar status');
    expect(s.camera.reason).toMatch(/broke off|closed the stream|ECONNREFUSED/);
    // Back on the same address: the source reconnects on its own.
    await simulator({ port, fps: 25 });
    await c.next('status', (x) => x.camera_connected === true, 5000);
    await c.next('sensor_data', (x) => x.camera !== null);
  });

  it('names the HTTP error of a wrong URL', async () => {
    const sim = await simulator({ fps: 10 });
    const r = await robocarOn(sim.url.replace('/stream', '/nope'));
    await until('the error', async () => ((await r.t.dispatch('robocar status')) as any).camera.reason?.includes('HTTP 404'), 3000);
    const c = await client(r.url);
    expect(await c.next('sensor_data')).toMatchObject({ camera: null });
  });
});
