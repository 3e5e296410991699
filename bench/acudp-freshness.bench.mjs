// Freshness and cost under load: AC UDP car updates (24 cars) from a sender process, received by
// the gateway (plugin-acudp, the bus, the gateway websocket) and by a hand-written loop (dgram ->
// decode -> JSON.stringify once -> ws.send to every client) in one server process, windows
// alternating, to clients in a child process of their own per window. Two scenarios:
//   flood:  the sender flat out (far beyond one core), 100 clients: issue 16's freshness target,
//           car updates at most 100 ms old at p99 with every car appearing;
//   60 Hz:  a round of 24 cars every 1/60 s (a burst, as acServer sends them), 1000 clients:
//           issue 16's "beat the hand-written loop" target, at least 1.0x its frames/s at no more
//           than 1.0x its server CPU per delivered frame.
// Each update carries the sender's monotonic clock (ms, in pos.x); a client's age of a frame is its
// own reading of the same clock minus that.
//
//   node bench/acudp-freshness.bench.mjs     (after `npm run build`; BENCH_QUICK=1 for a short run)
//   BENCH_FRESH_SCENARIOS=flood|60hz, BENCH_FRESH_CLIENTS (flood, 100), BENCH_FRESH_PACED_CLIENTS
//   (60 Hz, 1000), BENCH_FRESH_RCVBUF (plugin recvBufferBytes), BENCH_FRESH_WINDOW (gateway
//   clients' acknowledged-flow window, 0 = off)
import { fork } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const QUICK = process.env.BENCH_QUICK === '1';
const CARS = 24;
const SCENARIOS = [
  { key: 'flood', hz: 0, clients: Number(process.env.BENCH_FRESH_CLIENTS ?? 100) },
  { key: '60hz', hz: 60, clients: Number(process.env.BENCH_FRESH_PACED_CLIENTS ?? 1000) },
].filter((s) => !process.env.BENCH_FRESH_SCENARIOS || process.env.BENCH_FRESH_SCENARIOS.split(',').includes(s.key));
// The gateway's clients use acknowledged flow (the protocol's window/ack, as the client SDK's
// `window` option does) with this window; 0: plain latest subscriptions.
const WINDOW = Number(process.env.BENCH_FRESH_WINDOW ?? 0);
const WINDOW_MS = QUICK ? 2000 : 4000;
const ROUNDS = QUICK ? 1 : 2;
const monoMs = () => Number(process.hrtime.bigint() / 1000n) / 1000;

// ---- the sender: a child process, flat out or paced -------------------------------------------------
async function sender() {
  const { encodeEvent } = await import('@acgateway/plugin-acudp');
  const base = Number(process.argv[3]);
  const socket = dgram.createSocket('udp4');
  await new Promise((r) => socket.bind(0, '127.0.0.1', r));
  let target = 0;
  let hz = 0;
  let sent = 0;
  let next = 0;
  process.on('message', (m) => {
    if (m.target !== undefined) {
      ({ target, hz } = m);
      next = monoMs();
    }
    if (m.stats) process.send({ sent });
    if (m.exit) process.exit(0);
  });
  process.send({ ready: socket.address().port });
  const car = (carId) => encodeEvent({ type: 'car_update', carId, pos: { x: monoMs() - base, y: 0, z: 0 }, velocity: { x: 60, y: 0, z: 0 }, gear: 4, engineRpm: 7000, normalizedSplinePos: 0.5 });
  const round = () => {
    for (let c = 0; c < CARS; c++) socket.send(car(c), target, '127.0.0.1');
    sent += CARS;
  };
  for (;;) {
    if (!target) {
      await new Promise((r) => setTimeout(r, 5));
    } else if (hz) {
      // A round per tick, ticks that fell due while late sent at once (as a busy server would).
      for (let now = monoMs(); now >= next; next += 1000 / hz) round();
      await new Promise((r) => setTimeout(r, Math.max(0, next - monoMs())));
    } else {
      // Bursts of 20 rounds, then one turn of the loop so the socket's queue is written.
      for (let r = 0; r < 20; r++) round();
      await new Promise((r) => setImmediate(r));
    }
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
      await open(m.side, m.open, m.clients);
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

  const sender = fork(self, ['--sender', String(base)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const senderPort = await new Promise((r) => sender.once('message', (m) => r(m.ready)));
  const ask = (target, msg, key) => new Promise((r) => {
    const on = (m) => { if (m[key] !== undefined) { target.off('message', on); r(m[key]); } };
    target.on('message', on);
    target.send(msg);
  });

  // Gateway: a real host with plugin-acudp, the sender as its "server".
  const host = new core.Host({ config: { server: { port: 0, statusIntervalMs: 0 }, log: { level: 'silent' }, plugins: [acudp({ listenPort: 0, serverHost: '127.0.0.1', serverPort: senderPort, askCarInfo: false, batchCarUpdates: false, ...(process.env.BENCH_FRESH_RCVBUF ? { recvBufferBytes: Number(process.env.BENCH_FRESH_RCVBUF) } : {}) })] } });
  await host.start();
  const gwUrl = host.endpointUrls()['core/gateway'][0];
  // Age at publish, on the bus (the plugin's share: receive, decode, conflate), apart from the fan-out's.
  let busAges = [];
  host.bus.subscribe('acudp/car_update', (m) => void busAges.push(monoMs() - base - m.data.pos.x), { policy: 'queue', retained: false });
  const gwUdp = host.describe().find((p) => p.name === 'acudp').sources[0].status.listenPort;
  const conflated = async () => Number(/^acudp_conflated_total\S* (\d+)/m.exec(await host.metrics.exposition())?.[1] ?? NaN);

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
  const window = async (scenario, side) => {
    const child = fork(self, ['--clients', String(base)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise((r) => child.once('message', r));
    await ask(child, { side, clients: scenario.clients, open: side === 'gateway' ? gwUrl : `ws://127.0.0.1:${wss.address().port}/` }, 'opened');
    sender.send({ target: side === 'gateway' ? gwUdp : loop.address().port, hz: scenario.hz });
    await new Promise((r) => setTimeout(r, 500)); // the load builds up
    await ask(child, { reset: true }, 'reset');
    busAges = [];
    const s0 = await ask(sender, { stats: true }, 'sent');
    const k0 = await conflated();
    const c0 = process.cpuUsage();
    const t0 = monoMs();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const rep = await ask(child, { report: side }, 'report');
    const s1 = await ask(sender, { stats: true }, 'sent');
    const cpu = process.cpuUsage(c0);
    const secs = (monoMs() - t0) / 1000;
    const k1 = await conflated();
    sender.send({ target: 0, hz: 0 });
    child.send({ exit: true });
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 1000)); // the server lets go of the closed clients' queues
    busAges.sort((a, b) => a - b);
    const busP99 = busAges.length ? busAges[Math.floor(0.99 * (busAges.length - 1))] : null;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return { ...rep, busP99, conflated: side === 'gateway' ? k1 - k0 : 0, sentPerS: (s1 - s0) / secs, framesPerS: rep.frames / secs, cpu: cpuMs / (secs * 1000), cpuUsPerFrame: rep.frames ? (cpuMs * 1000) / rep.frames : null };
  };

  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const f = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));
  const verdicts = [];
  for (const scenario of SCENARIOS) {
    const results = { gateway: [], loop: [] };
    // Alternated, the order swapped each round.
    for (let i = 0; i < ROUNDS; i++) for (const side of i % 2 ? ['gateway', 'loop'] : ['loop', 'gateway']) results[side].push(await window(scenario, side));
    const row = (side) => {
      const r = results[side];
      const m = (k) => med(r.map((x) => x[k]));
      return { p50: m('p50'), p99: m('p99'), sent: m('sentPerS'), frames: m('framesPerS'), cars: Math.min(...r.map((x) => x.carsMin)), cpu: m('cpu'), us: m('cpuUsPerFrame'), busP99: m('busP99'), conflated: m('conflated') };
    };
    const g = row('gateway');
    const l = row('loop');
    const rate = scenario.hz ? `a round every 1/${scenario.hz} s` : 'flat out';
    console.log(`\n# acudp ${scenario.hz ? `at ${scenario.hz} Hz` : 'under a flood'}: ${CARS} cars sent ${rate} by a sender process, ${scenario.clients} clients (latest${WINDOW > 0 ? `, the gateway's with a window of ${WINDOW} frames` : ''}) in a child process per window; ${ROUNDS} window(s) of ${WINDOW_MS} ms per side, medians`);
    console.log('server                          sent/s   frames/s   p50 age ms   p99 age ms   cars seen (min)   server CPU %   CPU µs/frame');
    for (const [name, r] of [['hand-written loop (baseline)', l], ['gateway (plugin-acudp)', g]]) {
      console.log(`${name.padEnd(30)} ${f(r.sent, 0).padStart(8)} ${f(r.frames, 0).padStart(10)} ${f(r.p50).padStart(12)} ${f(r.p99).padStart(12)} ${String(r.cars).padStart(17)} ${f(r.cpu * 100).padStart(14)} ${f(r.us, 2).padStart(14)}`);
    }
    console.log(`gateway: age at publish on the bus (receive, decode, conflate; before the fan-out) p99 ${f(g.busP99)} ms; ${f(g.conflated, 0)} car updates conflated in a window`);
    console.log(`ratio gateway / loop: p99 age ${f(g.p99 / l.p99, 3)}, frames/s ${f(g.frames / l.frames, 2)}, CPU per frame ${f(g.us / l.us, 2)}`);
    if (!scenario.hz) {
      verdicts.push({ aim: `under a flood (${scenario.clients} clients), car updates at most 100 ms old at p99 and every car appears`, met: g.p99 !== null && g.p99 <= 100 && g.cars === CARS, value: `gateway p99 ${f(g.p99)} ms, ${g.cars}/${CARS} cars` });
    } else {
      verdicts.push({ aim: `${CARS} cars x ${scenario.hz} Hz to ${scenario.clients} clients: at least 1.0x the loop's frames/s`, met: g.frames >= l.frames, value: `${f(g.frames / l.frames, 2)}x` });
      verdicts.push({ aim: `${CARS} cars x ${scenario.hz} Hz to ${scenario.clients} clients: at most 1.0x the loop's server CPU per delivered frame`, met: g.us <= l.us, value: `${f(g.us / l.us, 2)}x` });
    }
  }
  sender.send({ exit: true });
  loop.close();
  wss.close();
  await host.stop();
  console.log('\ntargets (issue 16):');
  for (const v of verdicts) console.log(`  ${v.met ? 'met    ' : 'NOT met'}  ${v.aim}  (${v.value})`);
}

if (process.argv[2] === '--sender') await sender();
else if (process.argv[2] === '--clients') await clients();
else await main();
