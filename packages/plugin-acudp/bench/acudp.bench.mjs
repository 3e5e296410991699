// Benchmark of @acgateway/plugin-acudp (run after `npm run build`; BENCH_QUICK=1 for a ~15 s version).
//   1. decode throughput over the real capture ac_out (or a synthetic mix if it is absent),
//      against JSON.parse of the same messages as JSON;
//   2. end to end: FakeAcServer (24 cars, 100 Hz, in a worker) -> UDP -> plugin -> bus -> gateway
//      websocket -> 100 clients (in a worker), counting loss, against a bare dgram receive loop
//      fed by the same fake server in the same run. Everything stays on 127.0.0.1.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import dgram from 'node:dgram';

const QUICK = process.env.BENCH_QUICK === '1';
const here = path.dirname(fileURLToPath(import.meta.url));
const CARS = 24;
const INTERVAL_MS = 10;
const CLIENTS = 100;


async function fakeWorker() {
  const { FakeAcServer } = await import('@acgateway/plugin-acudp');
  const fake = new FakeAcServer({ cars: CARS, pluginPort: 9, lapMs: 90_000, loadDelayMs: 10, chatEveryMs: 0, collisionEveryMs: 0, tickMs: 50 });
  const commandPort = await fake.listen();
  parentPort.postMessage({ commandPort });
  parentPort.on('message', async (m) => {
    if (m.cmd === 'start') {
      fake.setPluginAddress(m.pluginPort);
      await fake.start();
      parentPort.postMessage({ started: true });
    } else if (m.cmd === 'stats') {
      parentPort.postMessage({ carUpdates: fake.stats.carUpdates, interval: fake.realtimeIntervalMs });
    } else if (m.cmd === 'stop') {
      await fake.stop();
      parentPort.postMessage({ stopped: true });
      parentPort.close();
    }
  });
}

async function clientsWorker() {
  const { default: WebSocket } = await import('ws');
  const prefix = Buffer.from('{"topic":"acudp/car_update"');
  const counts = new Array(CLIENTS).fill(0);
  const dropped = new Array(CLIENTS).fill(0);
  let closed = 0;
  const sockets = [];
  parentPort.on('message', async (m) => {
    if (m.cmd === 'connect') {
      let ready = 0;
      for (let i = 0; i < CLIENTS; i++) {
        const ws = new WebSocket(m.url);
        sockets.push(ws);
        ws.on('message', (data) => {
          const buf = data;
          if (buf.length > prefix.length && buf.compare(prefix, 0, prefix.length, 0, prefix.length) === 0) counts[i]++;
          else {
            const f = JSON.parse(buf.toString());
            if (f.op === 'subscribed' && ++ready === CLIENTS) parentPort.postMessage({ ready: true });
            if (f.op === 'dropped') dropped[i] += f.count;
          }
        });
        ws.on('close', () => closed++);
        ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', topics: ['acudp/car_update'], policy: 'queue' })));
      }
    } else if (m.cmd === 'counts') {
      parentPort.postMessage({ counts: [...counts], dropped: [...dropped], closed });
    } else if (m.cmd === 'close') {
      for (const ws of sockets) ws.terminate();
      parentPort.postMessage({ closed: true });
      parentPort.close();
    }
  });
}

function ask(worker, msg, key) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (key in m) {
        worker.off('message', on);
        resolve(m);
      }
    };
    worker.on('message', on);
    if (msg) worker.postMessage(msg);
  });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function spawn(role) {
  return new Worker(fileURLToPath(import.meta.url), { workerData: { role } });
}

async function benchDecode() {
  const { decodeDatagram, splitCapture, encodeEvent, toAcudpclient } = await import('@acgateway/plugin-acudp');
  const capture = path.resolve(here, '../../../../shared/data/acudp/ac_out');
  let source;
  let messages;
  if (existsSync(capture)) {
    source = 'ac_out (real capture, 395 messages)';
    messages = splitCapture(readFileSync(capture)).messages.map((m) => Buffer.from(m.bytes));
  } else {
    source = 'synthetic mix (ac_out absent)';
    const lb = Array.from({ length: 24 }, (_, i) => ({ carId: i, timeMs: 90_000 + i, laps: 3, completed: false }));
    messages = [
      encodeEvent({ type: 'lap_completed', carId: 1, lapTimeMs: 90_000, cuts: 0, leaderboard: lb, gripLevel: 1 }),
      encodeEvent({ type: 'client_event', eventType: 11, kind: 'collision_with_env', carId: 1, otherCarId: 255, impactSpeed: 40, worldPos: { x: 1, y: 2, z: 3 }, relPos: { x: 0, y: 0, z: 1 } }),
      encodeEvent({ type: 'chat', carId: 2, message: 'gg all, très bien' }),
    ];
  }
  const json = messages.map((m) => JSON.stringify(toAcudpclient(decodeDatagram(m).value)));
  const bytes = messages.reduce((s, m) => s + m.length, 0);
  const run = (fn, ms) => {
    let n = 0;
    const t0 = performance.now();
    let sink = 0;
    while (performance.now() - t0 < ms) {
      for (let i = 0; i < messages.length; i++) sink += fn(i);
      n += messages.length;
    }
    const s = (performance.now() - t0) / 1000;
    if (sink === -1) console.log('');
    return n / s;
  };
  const ms = QUICK ? 1000 : 3000;
  run((i) => (decodeDatagram(messages[i]).ok ? 1 : 0), 300); // warm up
  const acsp = run((i) => (decodeDatagram(messages[i]).ok ? 1 : 0), ms);
  const jsonRate = run((i) => JSON.parse(json[i]).type_id, ms);
  const whole = Buffer.concat(messages);
  let splits = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms / 2) {
    splits += splitCapture(whole).messages.length;
  }
  const splitRate = splits / ((performance.now() - t0) / 1000);
  return { source, count: messages.length, avgBytes: bytes / messages.length, acsp, jsonRate, splitRate };
}

async function benchBaseline(seconds) {
  const { encodeCommand } = await import('@acgateway/plugin-acudp');
  const fake = spawn('fake');
  const { commandPort } = await ask(fake, null, 'commandPort');
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  let received = 0;
  sock.on('message', (m) => {
    if (m[0] === 53) received++;
  });
  await ask(fake, { cmd: 'start', pluginPort: sock.address().port }, 'started');
  await sleep(200);
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  sock.send(encodeCommand({ type: 'realtimepos_interval', intervalMs: INTERVAL_MS }), commandPort, '127.0.0.1');
  await sleep(seconds * 1000);
  sock.send(encodeCommand({ type: 'realtimepos_interval', intervalMs: 0 }), commandPort, '127.0.0.1');
  await sleep(500);
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const { carUpdates } = await ask(fake, { cmd: 'stats' }, 'carUpdates');
  await ask(fake, { cmd: 'stop' }, 'stopped');
  sock.close();
  return { sent: carUpdates, received, cpuMs: (cpu.user + cpu.system) / 1000, elu: elu.utilization, seconds };
}

async function benchEndToEnd(seconds) {
  const { Host, createLogger } = await import('@acgateway/core');
  const { acudp } = await import('@acgateway/plugin-acudp');
  const fake = spawn('fake');
  const { commandPort } = await ask(fake, null, 'commandPort');
  const host = new Host({
    config: { server: { port: 0 }, log: { level: 'warn' }, plugins: [acudp({ listenPort: 0, serverPort: commandPort })] },
    logger: createLogger({ level: 'warn', destination: process.stderr }),
  });
  await host.start();
  const pluginPort = host.describe().find((p) => p.name === 'acudp').sources[0].status.listenPort;
  let atPlugin = 0;
  host.bus.subscribe('acudp/car_update', () => atPlugin++, { policy: 'queue', maxQueue: 1_000_000 });
  await ask(fake, { cmd: 'start', pluginPort }, 'started');
  const url = host.endpointUrls()['core/gateway'][0];
  const clients = spawn('clients');
  await ask(clients, { cmd: 'connect', url }, 'ready');
  await sleep(200);
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  await host.dispatch('ac interval ' + INTERVAL_MS, { endpoint: 'bench', role: 'admin' });
  await sleep(seconds * 1000);
  await host.dispatch('ac interval 0', { endpoint: 'bench', role: 'admin' });
  // Let the last frames drain to the clients.
  let last = -1;
  let c;
  for (let i = 0; i < 50; i++) {
    await sleep(200);
    c = await ask(clients, { cmd: 'counts' }, 'counts');
    const sum = c.counts.reduce((a, b) => a + b, 0);
    if (sum === last) break;
    last = sum;
  }
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const { carUpdates } = await ask(fake, { cmd: 'stats' }, 'carUpdates');
  const dropMetric = await host.metrics.registry.getSingleMetric('acgateway_messages_dropped_total').get();
  const dropped = dropMetric.values.filter((v) => v.labels.topic === 'acudp/car_update').reduce((a, v) => a + v.value, 0);
  await ask(clients, { cmd: 'close' }, 'closed');
  await ask(fake, { cmd: 'stop' }, 'stopped');
  await host.stop();
  const counts = c.counts;
  return {
    sent: carUpdates,
    atPlugin,
    minClient: Math.min(...counts),
    maxClient: Math.max(...counts),
    totalDelivered: counts.reduce((a, b) => a + b, 0),
    clientsClosed: c.closed,
    droppedFrames: dropped,
    cpuMs: (cpu.user + cpu.system) / 1000,
    elu: elu.utilization,
    seconds,
  };
}

async function main() {
  const started = performance.now();
  const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(`acudp benchmark${QUICK ? ' (quick)' : ''}: node ${process.version}`);

  const d = await benchDecode();
  console.log(`\nDecode (one core): ${d.source}, ${fmt(d.avgBytes)} bytes a message on average`);
  console.table({
    'ACSP decodeDatagram': { 'messages/s': fmt(d.acsp), 'vs baseline': `${(d.acsp / d.jsonRate).toFixed(2)}x` },
    'splitCapture (stream)': { 'messages/s': fmt(d.splitRate), 'vs baseline': `${(d.splitRate / d.jsonRate).toFixed(2)}x` },
    'baseline: JSON.parse of the same messages': { 'messages/s': fmt(d.jsonRate), 'vs baseline': '1.00x' },
  });
  console.log(`aim >= 2,000,000 messages/s: ${d.acsp >= 2e6 ? 'met' : 'NOT met'}`);

  const seconds = QUICK ? 3 : 8;
  const base = await benchBaseline(seconds);
  const e2e = await benchEndToEnd(seconds);
  console.log(`\nEnd to end: FakeAcServer ${CARS} cars at ${1000 / INTERVAL_MS} Hz for ~${seconds} s, ${CLIENTS} websocket clients (queue policy)`);
  console.log('(the fake server and the clients run in worker threads; process CPU counts every thread, event-loop use only the receiving thread)');
  console.table({
    'baseline: bare dgram loop': {
      'car updates sent': fmt(base.sent),
      'received (each client)': fmt(base.received),
      'loss %': fmt((100 * (base.sent - base.received)) / base.sent, 3),
      'receiver event loop %': fmt(100 * base.elu, 1),
      'process CPU ms': fmt(base.cpuMs),
    },
    'plugin -> bus': {
      'car updates sent': fmt(e2e.sent),
      'received (each client)': fmt(e2e.atPlugin),
      'loss %': fmt((100 * (e2e.sent - e2e.atPlugin)) / e2e.sent, 3),
      'receiver event loop %': '',
      'process CPU ms': '',
    },
    'gateway ws, 100 clients': {
      'car updates sent': fmt(e2e.sent),
      'received (each client)': `${fmt(e2e.minClient)} .. ${fmt(e2e.maxClient)}`,
      'loss %': fmt((100 * (e2e.sent - e2e.minClient)) / e2e.sent, 3),
      'receiver event loop %': fmt(100 * e2e.elu, 1),
      'process CPU ms': fmt(e2e.cpuMs),
    },
  });
  console.log(`frames delivered: ${fmt(e2e.totalDelivered)} (${fmt(e2e.totalDelivered / e2e.seconds)}/s); dropped by the bus for slow clients: ${fmt(e2e.droppedFrames)}; clients closed: ${e2e.clientsClosed}`);
  console.log(`receiving thread busy: gateway ${(e2e.elu / Math.max(1e-6, base.elu)).toFixed(1)}x the bare loop`);
  const noLoss = e2e.minClient === e2e.sent && e2e.atPlugin === e2e.sent;
  console.log(`aim: keeps up with ${CARS} cars x ${1000 / INTERVAL_MS} Hz to ${CLIENTS} clients with no loss: ${noLoss ? 'met' : 'NOT met'}`);
  console.log(`\nbenchmark took ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (!isMainThread && workerData.role === 'fake') await fakeWorker();
else if (!isMainThread && workerData.role === 'clients') await clientsWorker();
else await main();
