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
  const { FakeAcServer } = await import('@acgateway/plugin-acudp/fake');
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
  const batched = workerData.topic === 'acudp/car_updates';
  const prefix = Buffer.from(`{"topic":"${workerData.topic}"`);
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
          if (buf.length > prefix.length && buf.compare(prefix, 0, prefix.length, 0, prefix.length) === 0) {
            // A batch is parsed to count the updates in it; single updates are only counted.
            counts[i] += batched ? JSON.parse(buf.toString()).data.updates.length : 1;
          } else {
            const f = JSON.parse(buf.toString());
            if (f.op === 'subscribed' && ++ready === CLIENTS) parentPort.postMessage({ ready: true });
            if (f.op === 'dropped') dropped[i] += f.count;
          }
        });
        ws.on('close', () => closed++);
        ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', topics: [workerData.topic], policy: 'queue' })));
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

function spawn(role, extra = {}) {
  return new Worker(fileURLToPath(import.meta.url), { workerData: { role, ...extra } });
}

/** Datagrams the kernel dropped for full UDP receive buffers, all sockets (Linux; null elsewhere). */
function kernelUdpDrops() {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const [names, values] = lines.map((l) => l.split(/\s+/));
    return Number(values[names.indexOf('RcvbufErrors')]);
  } catch {
    return null;
  }
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
  const drops0 = kernelUdpDrops();
  sock.send(encodeCommand({ type: 'realtimepos_interval', intervalMs: INTERVAL_MS }), commandPort, '127.0.0.1');
  await sleep(seconds * 1000);
  sock.send(encodeCommand({ type: 'realtimepos_interval', intervalMs: 0 }), commandPort, '127.0.0.1');
  await sleep(500);
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const { carUpdates } = await ask(fake, { cmd: 'stats' }, 'carUpdates');
  await ask(fake, { cmd: 'stop' }, 'stopped');
  sock.close();
  const drops = drops0 === null ? null : kernelUdpDrops() - drops0;
  return { sent: carUpdates, received, cpuMs: (cpu.user + cpu.system) / 1000, elu: elu.utilization, drops, seconds };
}

async function benchEndToEnd(seconds, topic) {
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
  const clients = spawn('clients', { topic });
  await ask(clients, { cmd: 'connect', url }, 'ready');
  await sleep(200);
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const drops0 = kernelUdpDrops();
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
  const dropped = dropMetric.values.filter((v) => v.labels.topic === topic).reduce((a, v) => a + v.value, 0);
  const drops = drops0 === null ? null : kernelUdpDrops() - drops0;
  // Car updates the plugin replaced by a newer one of the same car read in the same turn (by design:
  // the newest per car is kept, and counted): not lost, but not delivered either.
  const conflated = (await host.metrics.find('acudp_conflated_total').metric.get()).values.reduce((a, v) => a + v.value, 0);
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
    conflated,
    cpuMs: (cpu.user + cpu.system) / 1000,
    elu: elu.utilization,
    drops,
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

  const seconds = QUICK ? 2 : 6;
  const base = await benchBaseline(seconds);
  const single = await benchEndToEnd(seconds, 'acudp/car_update');
  const batch = await benchEndToEnd(seconds, 'acudp/car_updates');
  console.log(`\nEnd to end: FakeAcServer ${CARS} cars at ${1000 / INTERVAL_MS} Hz for ~${seconds} s each, ${CLIENTS} websocket clients (queue policy)`);
  console.log('(fake server and clients in worker threads; "event loop %" is the receiving thread only, "process CPU" counts every thread)');
  const row = (sent, conflated, min, max, elu, cpu, drops) => ({
    'updates sent': fmt(sent),
    'conflated %': fmt((100 * conflated) / sent, 3),
    'received by each client': min === max ? fmt(min) : `${fmt(min)} .. ${fmt(max)}`,
    'lost %': fmt((100 * (sent - conflated - min)) / sent, 3),
    'kernel UDP drops': drops === null ? 'n/a' : fmt(drops),
    'event loop %': fmt(100 * elu, 1),
    'process CPU ms': fmt(cpu),
  });
  console.table({
    'baseline: bare dgram loop': row(base.sent, 0, base.received, base.received, base.elu, base.cpuMs, base.drops),
    'gateway, acudp/car_update': row(single.sent, single.conflated, single.minClient, single.maxClient, single.elu, single.cpuMs, single.drops),
    'gateway, acudp/car_updates (batched)': row(batch.sent, batch.conflated, batch.minClient, batch.maxClient, batch.elu, batch.cpuMs, batch.drops),
  });
  console.log('conflated: car updates replaced in the plugin by a newer one of the same car read in the same turn (the newest per car is kept, by design); lost: neither delivered nor conflated');
  for (const [name, r] of [['acudp/car_update', single], ['acudp/car_updates', batch]]) {
    console.log(`${name}: plugin published ${fmt(r.atPlugin)} of ${fmt(r.sent)} (${fmt(r.conflated)} conflated); updates delivered to clients ${fmt(r.totalDelivered / r.seconds)}/s; bus drops for slow clients ${fmt(r.droppedFrames)}; clients closed ${r.clientsClosed}; receiving thread ${(r.elu / Math.max(1e-6, base.elu)).toFixed(0)}x as busy as the bare loop`);
  }
  const met = (r) => r.minClient + r.conflated === r.sent && r.atPlugin + r.conflated === r.sent;
  console.log(`aim: ${CARS} cars x ${1000 / INTERVAL_MS} Hz to ${CLIENTS} clients with nothing lost (every update delivered or conflated): per-car topic ${met(single) ? 'met' : 'NOT met'}, batched topic ${met(batch) ? 'met' : 'NOT met'}`);
  console.log(`\nbenchmark took ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (!isMainThread && workerData.role === 'fake') await fakeWorker();
else if (!isMainThread && workerData.role === 'clients') await clientsWorker();
else await main();
