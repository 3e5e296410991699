// Freshness under a flood: AC UDP car updates sent flat out (a worker thread blasting 24 cars, far
// more than the fan-out can carry), received by the gateway (plugin-acudp, the bus, the gateway
// websocket) and by a hand-written loop (dgram -> decode -> JSON.stringify once -> ws.send to every
// client) in the same process, windows alternating, to the same clients in a child process.
// Each update carries the sender's monotonic clock (ms, in pos.x); a client's age of a frame is its
// own reading of the same clock minus that. Prints p50/p99 age, frames/s and cars seen, and the
// target of issue 16: car updates at most 100 ms old at p99 with every car appearing.
//
//   node bench/acudp-freshness.bench.mjs     (after `npm run build`; BENCH_QUICK=1 for ~15 s)
import { fork } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const self = fileURLToPath(import.meta.url);
const QUICK = process.env.BENCH_QUICK === '1';
const CARS = 24;
const CLIENTS = Number(process.env.BENCH_FRESH_CLIENTS ?? 100);
// The gateway's clients use acknowledged flow (the protocol's window/ack, as the client SDK's
// `window` option does) with this window; 0: plain latest subscriptions.
const WINDOW = Number(process.env.BENCH_FRESH_WINDOW ?? 0);
const WINDOW_MS = QUICK ? 2000 : 4000;
const ROUNDS = QUICK ? 1 : 2;
const monoMs = () => Number(process.hrtime.bigint() / 1000n) / 1000;

// ---- the sender: a worker thread, flat out --------------------------------------------------------
async function sender() {
  const { encodeEvent } = await import('@acgateway/plugin-acudp');
  const { base } = workerData;
  const socket = dgram.createSocket('udp4');
  await new Promise((r) => socket.bind(0, '127.0.0.1', r));
  let target = 0;
  let sent = 0;
  parentPort.on('message', (m) => {
    if (m.target !== undefined) target = m.target;
    if (m.stats) parentPort.postMessage({ sent });
  });
  parentPort.postMessage({ ready: socket.address().port });
  const car = (carId) => encodeEvent({ type: 'car_update', carId, pos: { x: monoMs() - base, y: 0, z: 0 }, velocity: { x: 60, y: 0, z: 0 }, gear: 4, engineRpm: 7000, normalizedSplinePos: 0.5 });
  for (;;) {
    if (!target) {
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    // Bursts of 20 rounds, then one turn of the loop so the socket's queue is written.
    for (let r = 0; r < 20; r++) for (let c = 0; c < CARS; c++) socket.send(car(c), target, '127.0.0.1');
    sent += 20 * CARS;
    await new Promise((r) => setImmediate(r));
  }
}

// ---- the clients: a child process -------------------------------------------------------------------
async function clients() {
  const { default: WebSocket } = await import('ws');
  const base = Number(process.argv[3]);
  let ages = [];
  let frames = 0;
  /** Per side, one set of car ids per connection: every car must reach every client of the side measured. */
  const cars = { gateway: [], loop: [] };
  const open = (side, url, n) =>
    Promise.all(
      Array.from({ length: n }, (_, i) => new Promise((resolve) => {
        const ws = new WebSocket(url);
        const seen = new Set();
        cars[side].push(seen);
        ws.on('message', (d) => {
          const s = String(d);
          if (s.startsWith('{"op"')) {
            if (s.includes('"subscribed"') || s.includes('"welcome"')) resolve();
            return;
          }
          frames++;
          // The frame's pos.x and carId, without a full JSON.parse (cheaper than the server it measures).
          const x = Number(/"pos":\{"x":([-\d.e]+)/.exec(s)?.[1]);
          const id = Number(/"carId":(\d+)/.exec(s)?.[1]);
          seen.add(id);
          if (i % 10 === 0) ages.push(monoMs() - base - x);
          if (windowed && ++received - acked >= Math.max(1, WINDOW >> 2)) {
            acked = received;
            ws.send(`{"op":"ack","count":${received}}`);
          }
        });
        const windowed = side === 'gateway' && WINDOW > 0;
        let received = 0;
        let acked = 0;
        ws.on('open', () => {
          if (windowed) ws.send(JSON.stringify({ op: 'window', frames: WINDOW }));
          ws.send(JSON.stringify({ op: 'subscribe', topics: ['acudp/car_update'], policy: 'latest' }));
        });
        ws.on('error', (e) => process.send({ error: e.message }));
      })),
    );
  process.on('message', async (m) => {
    if (m.open) {
      await open(m.side, m.open, CLIENTS);
      process.send({ opened: m.open });
    } else if (m.reset) {
      ages = [];
      frames = 0;
      for (const s of [...cars.gateway, ...cars.loop]) s.clear();
      process.send({ reset: true });
    } else if (m.report) {
      ages.sort((a, b) => a - b);
      const q = (p) => (ages.length ? ages[Math.min(ages.length - 1, Math.floor(p * ages.length))] : null);
      process.send({ report: { p50: q(0.5), p99: q(0.99), frames, carsMin: Math.min(...cars[m.report].map((s) => s.size)) } });
    } else if (m.exit) process.exit(0);
  });
  process.send({ hello: true });
}

// ---- the two servers, and the windows ---------------------------------------------------------------
async function main() {
  const core = await import('@acgateway/core').catch((err) => {
    console.error(`cannot load the built packages (${err.message}): run \`npm run build\` first`);
    process.exit(1);
  });
  const { acudp, decodeDatagram } = await import('@acgateway/plugin-acudp');
  const { WebSocketServer } = await import('ws');
  const base = monoMs();

  const worker = new Worker(self, { workerData: { base } });
  const senderPort = await new Promise((r) => worker.once('message', (m) => r(m.ready)));
  const ask = (target, msg, key) => new Promise((r) => {
    const on = (m) => { if (m[key] !== undefined) { target.off('message', on); r(m[key]); } };
    target.on('message', on);
    target.send ? target.send(msg) : target.postMessage(msg);
  });

  // Gateway: a real host with plugin-acudp, the sender as its "server".
  const host = new core.Host({ config: { server: { port: 0, statusIntervalMs: 0 }, log: { level: 'silent' }, plugins: [acudp({ listenPort: 0, serverHost: '127.0.0.1', serverPort: senderPort, askCarInfo: false, batchCarUpdates: false, ...(process.env.BENCH_FRESH_RCVBUF ? { recvBufferBytes: Number(process.env.BENCH_FRESH_RCVBUF) } : {}) })] } });
  await host.start();
  const gwUrl = host.endpointUrls()['core/gateway'][0];
  // Age at publish, on the bus (the plugin's share: receive, decode, conflate), apart from the fan-out's.
  let busAges = [];
  host.bus.subscribe('acudp/car_update', (m) => void busAges.push(monoMs() - base - m.data.pos.x), { policy: 'queue', retained: false });
  const gwUdp = host.describe().find((p) => p.name === 'acudp').sources[0].status.listenPort;

  // The hand-written loop: dgram -> decode -> stringify once -> ws.send to every open client.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => ws.on('message', () => ws.send('{"op":"subscribed","topics":["acudp/car_update"]}')));
  const loop = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  await new Promise((r) => loop.bind(0, '127.0.0.1', r));
  loop.on('message', (msg) => {
    const d = decodeDatagram(msg);
    if (!d.ok) return;
    const frame = JSON.stringify({ topic: 'acudp/car_update', ts: Date.now(), data: d.value });
    for (const c of wss.clients) if (c.readyState === 1 && c.bufferedAmount < 1 << 20) c.send(frame);
  });

  // Each window has its own client process, with clients of the side measured only, ended with the
  // window: a backlog one side left in the clients' receive path (the loop's clients hold megabytes
  // each) must not age the other side's frames. (With one process for both sides the gateway's p99
  // read ~7 s: the clients were still parsing the loop's backlog, not reading the gateway's frames.)
  const results = { gateway: [], loop: [] };
  const window = async (side) => {
    const child = fork(self, ['--clients', String(base)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise((r) => child.once('message', r));
    await ask(child, { side, open: side === 'gateway' ? gwUrl : `ws://127.0.0.1:${wss.address().port}/` }, 'opened');
    worker.postMessage({ target: side === 'gateway' ? gwUdp : loop.address().port });
    await new Promise((r) => setTimeout(r, 500)); // the flood builds up
    await ask(child, { reset: true }, 'reset');
    busAges = [];
    const s0 = await ask(worker, { stats: true }, 'sent');
    const c0 = process.cpuUsage();
    const t0 = monoMs();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const rep = await ask(child, { report: side }, 'report');
    const s1 = await ask(worker, { stats: true }, 'sent');
    const cpu = process.cpuUsage(c0);
    const secs = (monoMs() - t0) / 1000;
    worker.postMessage({ target: 0 });
    child.send({ exit: true });
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 1000)); // the server lets go of the closed clients' queues
    busAges.sort((a, b) => a - b);
    const busP99 = busAges.length ? busAges[Math.floor(0.99 * (busAges.length - 1))] : null;
    results[side].push({ ...rep, busP99, sentPerS: (s1 - s0) / secs, framesPerS: rep.frames / secs, cpu: (cpu.user + cpu.system) / 1000 / (secs * 1000) });
  };
  // Alternated, the order swapped each round.
  for (let i = 0; i < ROUNDS; i++) for (const side of i % 2 ? ['gateway', 'loop'] : ['loop', 'gateway']) await window(side);
  const conflated = Number(/^acudp_conflated_total\S* (\d+)/m.exec(await host.metrics.exposition())?.[1] ?? NaN);
  await worker.terminate();
  loop.close();
  wss.close();
  await host.stop();

  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const row = (side) => {
    const r = results[side];
    return { p50: med(r.map((x) => x.p50)), p99: med(r.map((x) => x.p99)), sent: med(r.map((x) => x.sentPerS)), frames: med(r.map((x) => x.framesPerS)), cars: Math.min(...r.map((x) => x.carsMin)), cpu: med(r.map((x) => x.cpu)) };
  };
  const g = row('gateway');
  const l = row('loop');
  const f = (v, d = 1) => (v === null || Number.isNaN(v) ? '-' : v.toFixed(d));
  console.log(`# acudp freshness under a flood: ${CARS} cars sent flat out by a worker thread, ${CLIENTS} clients (latest${WINDOW > 0 ? `, the gateway's with a window of ${WINDOW} frames` : ''}) in a child process; ${ROUNDS} window(s) of ${WINDOW_MS} ms per side, medians`);
  console.log('server                          sent/s   frames/s   p50 age ms   p99 age ms   cars seen (min)   server CPU %');
  for (const [name, r] of [['hand-written loop (baseline)', l], ['gateway (plugin-acudp)', g]]) {
    console.log(`${name.padEnd(30)} ${f(r.sent, 0).padStart(8)} ${f(r.frames, 0).padStart(10)} ${f(r.p50).padStart(12)} ${f(r.p99).padStart(12)} ${String(r.cars).padStart(17)} ${f(r.cpu * 100).padStart(14)}`);
  }
  console.log(`gateway: age at publish on the bus (receive, decode, conflate; before the fan-out) p99 ${f(med(results.gateway.map((x) => x.busP99)))} ms`);
  console.log(`ratio gateway / loop: p99 age ${f(g.p99 / l.p99, 3)}, frames/s ${f(g.frames / l.frames, 2)}`);
  if (!Number.isNaN(conflated)) console.log(`gateway: ${conflated} car updates conflated`);
  const met = g.p99 !== null && g.p99 <= 100 && g.cars === CARS;
  console.log(`target (issue 16): under a flood, car updates at most 100 ms old at p99 and every car appears: ${met ? 'met' : 'not met'} (gateway p99 ${f(g.p99)} ms, ${g.cars}/${CARS} cars)`);
}

if (!isMainThread) await sender();
else if (process.argv[2] === '--clients') await clients();
else await main();
