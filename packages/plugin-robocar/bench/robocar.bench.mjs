// Benchmark: 640x480 JPEG frames at 30 Hz to 1, 10 and 50 socket.io clients.
// Compares the robocar plugin (folder camera -> bus -> socket.io stream, volatile frames) with a
// plain socket.io server emitting the same payload at the same rate, in the same run.
// Clients run in a child process so the server's CPU is measured alone. Loopback only.
// Usage: npm run build (from the repo root), then node packages/plugin-robocar/bench/robocar.bench.mjs
// BENCH_QUICK=1 for a ~15 s version.
import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RATE = 30;
const WIDTH = 640;
const HEIGHT = 480;
const FRAMES = 30;
const QUICK = process.env.BENCH_QUICK === '1';
const WARMUP_S = QUICK ? 0.5 : 2;
const WINDOW_S = QUICK ? 1.2 : 8;
const CLIENT_COUNTS = [1, 10, 50];

if (process.argv[2] === '--client') await runClients(process.argv[3], Number(process.argv[4]));
else await main();

// ---- client process ------------------------------------------------------------------------

async function runClients(url, n) {
  const { io } = await import('socket.io-client');
  const u = new URL(url);
  const counts = new Array(n).fill(0);
  const latencies = [];
  let measuring = false;
  const sockets = [];
  await Promise.all(
    Array.from({ length: n }, (_, i) => new Promise((resolve, reject) => {
      const s = io(u.origin, { path: u.pathname, transports: ['websocket'], forceNew: true, reconnection: false });
      s.on('sensor_data', (d) => {
        if (!measuring || !d.camera) return;
        counts[i]++;
        latencies.push(Date.now() - d.timestamp * 1000);
      });
      s.once('connect', resolve);
      s.once('connect_error', reject);
      sockets.push(s);
    })),
  );
  process.send({ ready: true });
  process.on('message', (m) => {
    if (m.start) {
      measuring = true;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      setTimeout(() => {
        measuring = false;
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        latencies.sort((a, b) => a - b);
        const q = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN;
        process.send({ fps: counts.map((c) => c / seconds), p50: q(0.5), p95: q(0.95), cpu: (cpu.user + cpu.system) / 1e4 / seconds });
        for (const s of sockets) s.close();
        setTimeout(() => process.exit(0), 100);
      }, m.seconds * 1000);
    }
  });
}

// ---- servers ------------------------------------------------------------------------------------

/** A plain socket.io server sending the same events with the same payloads at the same rate. */
async function startBaseline(frames) {
  const { Server } = await import('socket.io');
  const server = http.createServer();
  const io = new Server(server, { serveClient: false, transports: ['polling', 'websocket'], perMessageDeflate: false, httpCompression: false });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const b64 = frames.map((f) => f.toString('base64'));
  let seq = 0;
  const period = 1000 / RATE;
  let next = performance.now() + period;
  let timer;
  const tick = () => {
    const ts = Date.now() / 1000;
    io.emit('sensor_data', { timestamp: ts, camera: { frame: b64[seq++ % b64.length], width: WIDTH, height: HEIGHT, format: 'jpeg' } });
    io.emit('status', { timestamp: ts, camera_connected: true, clients_connected: io.of('/').sockets.size });
    next += period;
    const now = performance.now();
    if (next < now) next = now + period;
    timer = setTimeout(tick, next - now);
  };
  timer = setTimeout(tick, period);
  return {
    url: `http://127.0.0.1:${server.address().port}/socket.io/`,
    stop: async () => {
      clearTimeout(timer);
      await io.close();
    },
  };
}

async function startAcgateway(folder) {
  const { Host } = await import('@acgateway/core');
  const { robocar } = await import('@acgateway/plugin-robocar');
  const host = new Host({
    config: {
      server: { enabled: false },
      log: { level: 'error' },
      plugins: [robocar({ port: 0, publishRate: RATE, camera: { source: 'folder', path: folder, fps: RATE } })],
    },
  });
  await host.start();
  return { url: host.endpointUrls()['robocar/stream'][0], stop: () => host.stop(), host };
}

// ---- main ---------------------------------------------------------------------------------------

async function makeFrames() {
  const jpeg = (await import('jpeg-js')).default;
  const frames = [];
  const data = Buffer.alloc(WIDTH * HEIGHT * 4);
  for (let f = 0; f < FRAMES; f++) {
    let r = f * 7919 + 1;
    for (let i = 0; i < WIDTH * HEIGHT; i++) {
      r = (r * 1103515245 + 12345) & 0x7fffffff;
      const x = i % WIDTH;
      const y = (i / WIDTH) | 0;
      const n = (r % 6) - 3; // a little sensor noise, for realistic JPEG sizes
      data[i * 4] = (x + f * 8 + n) & 0xff;
      data[i * 4 + 1] = (y + n) & 0xff;
      data[i * 4 + 2] = ((x ^ y) + n) & 0xff;
      data[i * 4 + 3] = 0xff;
    }
    frames.push(jpeg.encode({ data, width: WIDTH, height: HEIGHT }, 75).data);
  }
  return frames;
}

async function measure(kind, start, clients) {
  const srv = await start();
  const child = fork(fileURLToPath(import.meta.url), ['--client', srv.url, String(clients)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await new Promise((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`client process exited (${code}) before it was ready`)));
    });
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await new Promise((resolve) => {
      child.once('message', resolve);
      child.send({ start: true, seconds: WINDOW_S });
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const fps = result.fps;
    return {
      kind,
      clients,
      fpsAvg: fps.reduce((a, b) => a + b, 0) / fps.length,
      fpsMin: Math.min(...fps),
      p50: result.p50,
      p95: result.p95,
      serverCpu: (cpu.user + cpu.system) / 1e4 / seconds,
      clientCpu: result.cpu,
    };
  } finally {
    child.kill();
    await srv.stop();
  }
}

async function main() {
  try {
    await import('@acgateway/plugin-robocar');
  } catch (err) {
    console.error(`cannot load the built plugin (${err.message}); run "npm run build" at the repository root first`);
    process.exit(1);
  }
  const frames = await makeFrames();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'acgw-robocar-bench-'));
  try {
    for (let i = 0; i < frames.length; i++) await writeFile(path.join(dir, `frame${i}.jpg`), frames[i]);
    const avgBytes = frames.reduce((a, f) => a + f.length, 0) / frames.length;
    console.log(`robocar stream benchmark: ${WIDTH}x${HEIGHT} JPEG (avg ${(avgBytes / 1024).toFixed(1)} KiB, ${((avgBytes * 4) / 3 / 1024).toFixed(1)} KiB base64) at ${RATE} Hz,`);
    console.log(`websocket clients in one child process, ${WARMUP_S}s warm-up + ${WINDOW_S}s window per row, ${os.cpus().length} CPUs, node ${process.version}${QUICK ? ', QUICK' : ''}\n`);
    const rows = [];
    for (const n of CLIENT_COUNTS) {
      rows.push(await measure('socket.io baseline', () => startBaseline(frames), n));
      rows.push(await measure('acgateway robocar', () => startAcgateway(dir), n));
    }
    const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
    const head = ['clients', 'server', 'frames/s per client avg', 'min', 'age p50 ms', 'p95 ms', 'server CPU %', 'client CPU %'];
    const table = rows.map((r) => [String(r.clients), r.kind, f1(r.fpsAvg), f1(r.fpsMin), f1(r.p50), f1(r.p95), f1(r.serverCpu), f1(r.clientCpu)]);
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
    const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    console.log(line(head));
    for (const t of table) console.log(line(t));
    console.log('\nratio acgateway / baseline');
    for (const n of CLIENT_COUNTS) {
      const b = rows.find((r) => r.clients === n && r.kind.includes('baseline'));
      const a = rows.find((r) => r.clients === n && r.kind.includes('acgateway'));
      console.log(`  ${String(n).padStart(2)} clients: frames/s per client x${(a.fpsAvg / b.fpsAvg).toFixed(2)}, server CPU x${(a.serverCpu / b.serverCpu).toFixed(2)}, frame age p95 x${(a.p95 / b.p95).toFixed(2)}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
