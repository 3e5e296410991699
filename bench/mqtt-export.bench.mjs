// MQTT export through the gateway against the `mqtt` package publishing the same payloads directly,
// both through one mosquitto (started here on a free port) to a subscriber in another process.
//
// 24 cars' updates at 60 Hz (1,440 messages/s), QoS 0. Windows alternate between the two
// publishers; each reports messages delivered to the subscriber, publish-to-receipt latency, and the
// publishing process's CPU per message. Aims (issue 20): the plugin costs at most 1.3x the direct
// publisher's CPU per message, and loses nothing at that rate.
//
//   node bench/mqtt-export.bench.mjs     (after `npm run build`; BENCH_QUICK=1 for a short run;
//                                         BENCH_MQTT_V4=1 for MQTT 3.1.1, no user properties)
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mosquittoPath, startMosquitto } from '../test-support/brokers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === '1';
const CARS = 24;
const HZ = 60;
const WINDOW_MS = QUICK ? 2000 : 5000;
const ROUNDS = QUICK ? 1 : 3;

if (!mosquittoPath) {
  console.log('mqtt-export: skipped, mosquitto is not installed (Debian package "mosquitto")');
  process.exit(0);
}
let core, mqttPlugin, mqttLib;
try {
  core = await import('@acgateway/core');
  mqttPlugin = (await import('@acgateway/plugin-mqtt')).default;
  mqttLib = await import('mqtt');
} catch (err) {
  console.error(`cannot load the built packages (${err.message}): run \`npm run build\` first`);
  process.exit(1);
}

const nowUs = () => {
  const t = process.hrtime();
  return t[0] * 1e6 + Math.floor(t[1] / 1e3);
};
/** A car update like acudp's, `hr` last (the subscriber reads it from the end). */
const carUpdate = (carId, seq) => ({ type: 'car_update', carId, pos: { x: 120.5 + seq, y: 3.2, z: -88.1 }, velocity: { x: 41.2, y: 0, z: 12.9 }, gear: 5, engineRpm: 8123, normalizedSplinePos: (seq % 600) / 600, hr: nowUs() });

const broker = await startMosquitto();
const sub = fork(join(here, 'mqtt-subscriber.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const ask = (msg, op) => new Promise((resolve) => {
  const on = (m) => { if (m.op === op) { sub.off('message', on); resolve(m); } };
  sub.on('message', on);
  sub.send(msg);
});
await ask({ op: 'start', url: broker.url, topic: 'bench/#' }, 'ready');

// The direct publisher: what a hand-written exporter does, sending the very same MQTT messages (the
// same JSON and, with MQTT 5, the same origin/ts user properties), so the ratio is the gateway's own cost.
const V5 = !process.env.BENCH_MQTT_V4;
const direct = await mqttLib.connectAsync(broker.url, { protocolVersion: V5 ? 5 : 4, reconnectPeriod: 0 });
const publishDirect = (carId, seq) =>
  direct.publish('bench/direct/acudp/car_update', JSON.stringify(carUpdate(carId, seq)), { qos: 0, ...(V5 ? { properties: { userProperties: { origin: 'direct', ts: String(Date.now()) } } } : {}) });

// The gateway: a Host with the plugin exporting acudp/car_update, and a source publishing on the bus.
const host = new core.Host({ config: { server: { enabled: false }, log: { level: 'silent' }, plugins: [mqttPlugin({ url: broker.url, node: 'gw', prefix: 'bench', ...(process.env.BENCH_MQTT_V4 ? { protocolVersion: 4 } : {}), export: ['acudp/car_update'], commands: { enabled: false } })] } });
await host.start();
for (let i = 0; i < 200 && host.health().status !== 'ok'; i++) await new Promise((r) => setTimeout(r, 25));
const publishGateway = (carId, seq) => host.bus.publish('acudp/car_update', carUpdate(carId, seq), { key: String(carId) });

/** One window at 60 Hz: every tick sends the 24 cars' updates; a late timer sends the ticks that fell due. */
async function window(publish) {
  await ask({ op: 'reset' }, 'reset');
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let ticks = 0;
  let sent = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - start) * HZ) / 1000);
      for (; ticks < due; ticks++) for (let c = 0; c < CARS; c++) publish(c, sent++);
      if (performance.now() - start >= WINDOW_MS) {
        clearInterval(timer);
        resolve();
      }
    }, 1000 / HZ / 2);
  });
  const cpu = process.cpuUsage(cpu0);
  await new Promise((r) => setTimeout(r, 300)); // let the last ones arrive
  const report = await ask({ op: 'report' }, 'report');
  const l = report.latenciesUs.sort((a, b) => a - b);
  const pct = (p) => (l.length ? l[Math.min(l.length - 1, Math.floor((p / 100) * l.length))] / 1000 : NaN);
  return { sent, delivered: report.count, cpuUsPerMsg: (cpu.user + cpu.system) / sent, p50: pct(50), p99: pct(99) };
}

const rows = { direct: [], gateway: [] };
await window(publishDirect); // warm-up
await window(publishGateway);
for (let r = 0; r < ROUNDS; r++) {
  rows.direct.push(await window(publishDirect));
  rows.gateway.push(await window(publishGateway));
}
const sum = (xs, k) => xs.reduce((s, x) => s + x[k], 0);
const avg = (xs, k) => sum(xs, k) / xs.length;
const line = (name, xs) => {
  const sent = sum(xs, 'sent');
  const delivered = sum(xs, 'delivered');
  return `${name.padEnd(8)}  ${String(sent).padStart(7)}  ${String(delivered).padStart(9)}  ${((100 * delivered) / sent).toFixed(1).padStart(6)}  ${avg(xs, 'cpuUsPerMsg').toFixed(1).padStart(12)}  ${avg(xs, 'p50').toFixed(2).padStart(6)}  ${avg(xs, 'p99').toFixed(2).padStart(6)}`;
};
console.log(`MQTT ${V5 ? '5' : '3.1.1'} export, ${CARS} cars x ${HZ} Hz (${CARS * HZ} msg/s), QoS 0, through mosquitto to a subscriber in another process; ${ROUNDS} window(s) of ${WINDOW_MS} ms each, alternating`);
console.log('side         sent  delivered  deliv%  CPU µs/msg    p50 ms  p99 ms');
console.log(line('direct', rows.direct));
console.log(line('gateway', rows.gateway));
const cpuRatio = avg(rows.gateway, 'cpuUsPerMsg') / avg(rows.direct, 'cpuUsPerMsg');
const lossless = sum(rows.gateway, 'delivered') >= sum(rows.gateway, 'sent');
console.log(`\nratio gateway / direct, CPU per message: ${cpuRatio.toFixed(2)}`);
console.log('aims:');
console.log(`  ${cpuRatio <= 1.3 ? 'met    ' : 'NOT met'}  the plugin costs at most 1.3x the direct publisher's CPU per message  (${cpuRatio.toFixed(2)})`);
console.log(`  ${lossless ? 'met    ' : 'NOT met'}  nothing lost at 1,440 messages/s  (${sum(rows.gateway, 'delivered')} of ${sum(rows.gateway, 'sent')})`);

await host.stop();
await direct.endAsync(true);
sub.send({ op: 'stop' });
await broker.remove();
process.exit(0);
