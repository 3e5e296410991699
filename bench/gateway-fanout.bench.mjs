// Fan-out through the gateway websocket against a plain `ws` broadcast loop, in the same run.
//
// One ~200-byte JSON telemetry message is published at 60 Hz and flat out to 1, 100 and 1000 clients
// that live in a separate process (fanout-clients.mjs). The gateway side is a real Host with a tiny
// plugin calling api.publish(); the baseline is a WebSocketServer that serializes each message once
// and sends the same bytes to every open client. Both skip a client whose unsent bytes pass the
// gateway's default high-water mark (1 MiB), so flat out neither grows memory without bound.
//
//   node bench/gateway-fanout.bench.mjs      (after `npm run build`; BENCH_QUICK=1 for ~20 s)
//   env BENCH_FANOUT_CLIENTS=1,100,1000      client counts to run
//   env BENCH_FANOUT_RATES=60,flat            rates to run
//   env BENCH_FANOUT_ONLY=plain|gateway       run one side alone (profiling: node --cpu-prof ...)
//   env BENCH_PIN=1|0                         pin server and clients to one CPU each (default: if idle)
import { execFileSync, fork } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === '1';
const COUNTS = (process.env.BENCH_FANOUT_CLIENTS ?? '1,100,1000').split(',').map(Number).filter((n) => n > 0);
const RATES = [{ label: '60 Hz', hz: 60 }, { label: 'flat out', hz: 0 }].filter(
  (r) => !process.env.BENCH_FANOUT_RATES || process.env.BENCH_FANOUT_RATES.split(',').includes(r.hz ? String(r.hz) : 'flat'),
);
// Each scenario alternates ROUNDS windows between plain and gateway; the first round warms up longer.
const ROUNDS = QUICK ? 1 : 3;
const WARMUP_MS = QUICK ? 250 : 1000;
const REWARM_MS = 200;
const WINDOW_MS = QUICK ? 1000 : 2500;
const DRAIN_MAX_MS = QUICK ? 1000 : 3000;
const BUDGET_MS = QUICK ? 90_000 : 300_000;
const HIGH_WATER = 1 << 20; // the gateway's default backpressure.highWaterBytes
const TOPIC = 'bench/telemetry';

let core;
try {
  core = await import('@acgateway/core');
} catch (err) {
  console.error(`cannot load the built @acgateway/core (${err.message}): run \`npm run build\` first`);
  process.exit(1);
}
const { Host, definePlugin, API_VERSION } = core;
// The same `ws` the core uses, so the comparison is of the gateway's path, not of two ws versions.
const { WebSocketServer } = createRequire(import.meta.resolve('@acgateway/core'))('ws');

/** Whole µs of the monotonic clock, which the client process reads too (see fanout-clients.mjs). */
function nowUs() {
  const t = process.hrtime();
  return t[0] * 1e6 + Math.floor(t[1] / 1e3);
}

/** A car's telemetry frame. `m` and `hr` stay last: the client reads them from the end of the frame. */
function telemetry(seq, measured) {
  return {
    car: 7,
    lap: 12,
    speedKmh: 231.4 + (seq % 7),
    rpm: 11873,
    gear: 6,
    throttle: 0.98,
    brake: 0,
    posM: [1234.56, 12.3, -567.89],
    lapTimeMs: 83125 + seq,
    seq,
    m: measured ? 1 : 0,
    hr: nowUs(),
  };
}

// ---- how many times JSON.stringify runs per published message (the "serialize once" aim) ----
const realStringify = JSON.stringify;
let stringifyCalls = 0;
JSON.stringify = function countedStringify(...args) {
  stringifyCalls++;
  return realStringify.apply(this, args);
};

// ---- the client process ----
const clientProc = fork(join(here, 'fanout-clients.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
let nextId = 0;
const pending = new Map();
let clientGone;
const clientExited = new Promise((resolve) => (clientGone = resolve));
clientProc.on('message', (msg) => {
  const p = pending.get(msg.id);
  if (!p) return;
  pending.delete(msg.id);
  clearTimeout(p.timer);
  if (msg.error) p.reject(new Error(`client process: ${msg.error}`));
  else p.resolve(msg);
});
let clientExit;
clientProc.on('exit', (code, signal) => {
  clientExit = `the client process exited (${signal ?? `code ${code}`})`;
  clientGone();
  for (const p of pending.values()) {
    clearTimeout(p.timer);
    p.reject(new Error(clientExit));
  }
  pending.clear();
});
clientProc.on('error', (err) => console.error(`client process: ${err.message}`));
const helloed = new Promise((resolve, reject) => {
  clientProc.once('message', (m) => (m.op === 'hello' ? resolve() : reject(new Error('client process did not say hello'))));
  clientProc.once('exit', (code) => reject(new Error(`client process exited before starting (code ${code})`)));
});

function ask(op, extra = {}, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    if (clientExit) return reject(new Error(clientExit));
    const id = ++nextId;
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`client process: no answer to ${op} within ${timeoutMs} ms`));
    }, timeoutMs);
    pending.set(id, { resolve, reject, timer });
    clientProc.send({ id, op, ...extra }, (err) => {
      if (!err || !pending.has(id)) return;
      pending.delete(id);
      clearTimeout(timer);
      reject(new Error(`client process: cannot send ${op}: ${err.message}`));
    });
  });
}

// ---- the two servers ----
async function startPlain() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((resolve, reject) => wss.once('listening', resolve).once('error', reject));
  const url = `ws://127.0.0.1:${wss.address().port}/`;
  return {
    name: 'plain ws',
    url,
    subscribe: undefined,
    publish(data) {
      const buf = Buffer.from(JSON.stringify({ topic: TOPIC, ts: Date.now(), data }));
      for (const ws of wss.clients) {
        if (ws.readyState === 1 && ws.bufferedAmount <= HIGH_WATER) ws.send(buf, { binary: false });
      }
    },
    connected: () => wss.clients.size,
    close: () => new Promise((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close(() => resolve());
    }),
  };
}

async function startGateway() {
  let api;
  const benchPlugin = definePlugin({ name: 'bench', apiVersion: API_VERSION, version: '0.0.0', apply: (a) => void (api = a) });
  const host = new Host({ config: { server: { host: '127.0.0.1', port: 0 }, log: { level: 'silent' }, plugins: [benchPlugin()] } });
  await host.start();
  const url = host.endpointUrls()['core/gateway']?.[0];
  if (!url) throw new Error('the host has no core/gateway endpoint');
  const baseSubs = host.bus.subscriptionCount;
  return {
    name: 'gateway',
    url,
    subscribe: { op: 'subscribe', topics: ['bench/#'], policy: 'latest' },
    publish: (data) => api.publish(TOPIC, data),
    connected: () => host.bus.subscriptionCount - baseSubs,
    close: () => host.stop(),
  };
}

// ---- driving a scenario ----
let seq = 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Publishes at `hz` (0 = flat out, in 1 ms slices so sockets still get written) for `ms`; returns the count. */
function drive(server, hz, ms, measured) {
  return new Promise((resolve) => {
    const first = seq;
    const start = performance.now();
    const end = start + ms;
    if (hz > 0) {
      const period = 1000 / hz;
      let k = 0;
      const tick = () => {
        const now = performance.now();
        if (now >= end) return resolve(seq - first);
        // Ticks are due against the start, not the last tick; a late timer publishes what fell due
        // meanwhile (as a source would, finding several packets waiting), so a busy host keeps the rate.
        do {
          server.publish(telemetry(seq++, measured));
          k++;
        } while (start + k * period <= now);
        setTimeout(tick, Math.max(0, start + k * period - performance.now()));
      };
      tick();
    } else {
      const slice = () => {
        const t = performance.now();
        if (t >= end) return resolve(seq - first);
        do server.publish(telemetry(seq++, measured));
        while (performance.now() - t < 1);
        setImmediate(slice);
      };
      slice();
    }
  });
}

/** Waits until the group's measured count reaches `expected` or stops moving, bounded. */
async function drain(group, expected) {
  const until = performance.now() + DRAIN_MAX_MS;
  let last = -1;
  while (performance.now() < until) {
    const { received } = await ask('stats', { group });
    if (received >= expected || received === last) return;
    last = received;
    await sleep(50);
  }
}

/** Server-side figures of one server over the rounds of a scenario. */
function newTally() {
  return { published: 0, wallMs: 0, cpuMs: 0, stringified: 0, rss: 0 };
}

/** One warm-up and one measured window for one server; the client process counts only the window's frames. */
async function round(server, n, rate, warmMs, tally) {
  await drive(server, rate.hz, warmMs, false);
  await sleep(50); // let the warm-up tail arrive before the window opens
  const str0 = stringifyCalls;
  let rss = process.memoryUsage.rss();
  const rssTimer = setInterval(() => (rss = Math.max(rss, process.memoryUsage.rss())), 100);
  await ask('begin', { group: server.name });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const published = await drive(server, rate.hz, WINDOW_MS, true);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await ask('end', { group: server.name });
  clearInterval(rssTimer);
  tally.stringified += stringifyCalls - str0;
  tally.rss = Math.max(tally.rss, rss, process.memoryUsage.rss());
  tally.published += published;
  tally.wallMs += wallMs;
  tally.cpuMs += (cpu.user + cpu.system) / 1000;
  await drain(server.name, tally.published * n);
}

/** Alternates windows between the servers, so a burst of load from elsewhere hits both alike. */
async function scenario(servers, n, rate, firstIndex) {
  const tallies = new Map(servers.map((s) => [s.name, newTally()]));
  for (const s of servers) await ask('reset', { group: s.name });
  for (let r = 0; r < ROUNDS; r++) {
    const order = (r + firstIndex) % 2 === 0 ? servers : [...servers].reverse();
    for (const s of order) await round(s, n, rate, r === 0 ? WARMUP_MS : REWARM_MS, tallies.get(s.name));
  }
  const rows = [];
  for (const s of servers) {
    const t = tallies.get(s.name);
    const r = await ask('report', { group: s.name });
    const secs = t.wallMs / 1000;
    rows.push({
      server: s.name,
      n,
      rate: rate.label,
      publishedPerS: t.published / secs,
      deliveredPerS: r.received / secs,
      perClientPerS: r.received / secs / n,
      deliveredPct: t.published ? (100 * r.received) / (t.published * n) : 0,
      p50: r.p50,
      p99: r.p99,
      maxMs: r.maxMs,
      serverCpu: t.cpuMs / t.wallMs,
      clientCpu: r.cpu,
      rssMb: t.rss / 2 ** 20,
      serPerMsg: t.published ? t.stringified / t.published : 0,
      perClientMin: r.perClientMin,
      perClientMax: r.perClientMax,
      closedEarly: r.closedEarly,
      closeReasons: r.closeReasons,
    });
  }
  return rows;
}

async function waitConnected(server, n) {
  const until = performance.now() + 10_000;
  while (server.connected() !== n) {
    if (performance.now() > until) throw new Error(`${server.name}: ${server.connected()} clients connected, expected ${n}`);
    await sleep(20);
  }
}

// ---- output ----
const fmt = (v, d = 0) => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));
const fmtInt = (v) => Math.round(v).toLocaleString('en-US');

function printTable(rows) {
  const head = ['clients', 'rate', 'server', 'pub/s', 'delivered/s', 'per client/s', 'deliv %', 'p50 ms', 'p99 ms', 'srv CPU %', 'cli CPU %', 'RSS MB', 'JSON/msg'];
  const body = rows.map((r) => [
    String(r.n), r.rate, r.server, fmtInt(r.publishedPerS), fmtInt(r.deliveredPerS), fmtInt(r.perClientPerS), fmt(r.deliveredPct, 1),
    fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.serverCpu * 100), fmt(r.clientCpu * 100), fmt(r.rssMb), fmt(r.serPerMsg, 2),
  ]);
  printAligned(head, body);
}

function printAligned(head, body) {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

function printRatios(rows) {
  const verdicts = [];
  const head = ['clients', 'rate', 'gw/plain delivered', 'gw/plain CPU per msg', 'gw p99 ms', 'plain p99 ms'];
  const body = [];
  for (const n of COUNTS) {
    for (const rate of RATES) {
      const g = rows.find((r) => r.n === n && r.rate === rate.label && r.server === 'gateway');
      const p = rows.find((r) => r.n === n && r.rate === rate.label && r.server === 'plain ws');
      if (!g || !p) continue;
      const ratio = p.deliveredPerS ? g.deliveredPerS / p.deliveredPerS : NaN;
      const cpuPerMsg = (x) => (x.deliveredPerS ? x.serverCpu / x.deliveredPerS : NaN);
      body.push([String(n), rate.label, fmt(ratio, 2), fmt(cpuPerMsg(g) / cpuPerMsg(p), 2), fmt(g.p99, 2), fmt(p.p99, 2)]);
      verdicts.push({ aim: `delivered ratio >= 0.8 at ${n} client${n === 1 ? "" : "s"}, ${rate.label}`, met: ratio >= 0.8, value: fmt(ratio, 3) });
      if (n === 1000 && rate.hz === 60) {
        verdicts.push({ aim: 'gateway p99 < 50 ms at 1000 clients x 60 Hz', met: g.p99 !== null && g.p99 < 50, value: `${fmt(g.p99, 2)} ms` });
        verdicts.push({ aim: "gateway p99 at or below plain ws's at 1000 clients x 60 Hz (issue 16)", met: g.p99 !== null && p.p99 !== null && g.p99 <= p.p99, value: `${fmt(g.p99, 2)} ms vs ${fmt(p.p99, 2)} ms` });
      }
    }
  }
  printAligned(head, body);
  const ser = rows.filter((r) => r.server === 'gateway');
  if (ser.length) {
    const worst = Math.max(...ser.map((r) => r.serPerMsg));
    verdicts.push({ aim: 'gateway serializes once per message, not per client', met: worst <= 1.01, value: `${fmt(worst, 2)} JSON.stringify per message` });
  }
  console.log('\naims:');
  for (const v of verdicts) console.log(`  ${v.met ? 'met    ' : 'NOT met'}  ${v.aim}  (${v.value})`);
  return verdicts;
}

/**
 * Server on CPU 0, clients on CPU 1 (Linux, taskset, two CPUs or more): as if the clients were on
 * another machine. Unpinned, the scheduler's placement of the two processes (and of the loopback
 * TCP work they cause) swings the flat-out figures by tens of per cent from run to run. But a pinned
 * process cannot flee a core that other work occupies, so by default it pins only on an idle
 * machine; BENCH_PIN=1 or 0 decides instead.
 */
function pinProcesses(load) {
  const want = process.env.BENCH_PIN ?? (load < 0.5 ? '1' : '0');
  if (want !== '1' || process.platform !== 'linux' || availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    execFileSync('taskset', ['-a', '-p', '-c', '1', String(clientProc.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// ---- main ----
let plain;
let gateway;
async function cleanup() {
  await Promise.allSettled([plain?.close(), gateway?.close()]);
  if (clientProc.exitCode === null && clientProc.signalCode === null) {
    clientProc.kill();
    await Promise.race([clientExited, sleep(2000)]);
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping`);
    clientProc.kill();
    process.exit(130);
  });
}
process.on('exit', () => clientProc.kill());
const budget = setTimeout(() => {
  console.error(`gateway-fanout: still running after ${BUDGET_MS / 1000} s, giving up`);
  clientProc.kill();
  process.exit(1);
}, BUDGET_MS);

const startedAt = performance.now();
try {
  await helloed;
  const load = loadavg()[0];
  const pinned = pinProcesses(load);
  if (load > 0.5) console.log(`note: load average ${load.toFixed(2)} before the bench: other work shares the CPUs, figures will be noisy`);
  plain = await startPlain();
  gateway = await startGateway();
  const sample = Buffer.from(realStringify({ topic: TOPIC, ts: Date.now(), data: telemetry(0, true) })).length;
  console.log(`gateway fan-out vs plain ws broadcast${QUICK ? ' (quick)' : ''}: ${sample}-byte frame, ` +
    `${ROUNDS} window(s) of ${WINDOW_MS} ms per server and row, alternating, Node ${process.version}, ` +
    (pinned ? 'server pinned to CPU 0, clients to CPU 1' : 'processes not pinned'));
  const rows = [];
  const only = process.env.BENCH_FANOUT_ONLY; // one side alone, e.g. under --cpu-prof
  const servers = [plain, gateway].filter((s) => !only || s.name.startsWith(only));
  if (servers.length === 0) throw new Error(`BENCH_FANOUT_ONLY=${only} names neither "plain" nor "gateway"`);
  for (const [i, n] of COUNTS.entries()) {
    const t = performance.now();
    for (const s of servers) {
      await ask('connect', { group: s.name, url: s.url, n, subscribe: s.subscribe }, 60_000);
      await waitConnected(s, n);
    }
    process.stdout.write(`  ${String(n).padStart(4)} clients on each server, connected in ${fmtInt(performance.now() - t)} ms;`);
    for (const rate of RATES) {
      const got = await scenario(servers, n, rate, i);
      rows.push(...got);
      for (const row of got) {
        process.stdout.write(` ${row.server} ${rate.label} ${fmtInt(row.deliveredPerS)}/s;`);
        if (row.closedEarly) console.log(`\n  ${row.closedEarly} ${row.server} clients were closed by the server: ${JSON.stringify(row.closeReasons)}`);
      }
    }
    process.stdout.write('\n');
    for (const s of servers) {
      await ask('close', { group: s.name });
      await waitConnected(s, 0);
    }
  }
  rows.sort((a, b) => a.n - b.n || RATES.findIndex((r) => r.label === a.rate) - RATES.findIndex((r) => r.label === b.rate) || (a.server === 'plain ws' ? -1 : 1));
  console.log('');
  printTable(rows);
  console.log('\nratios (gateway / plain, same run):');
  printRatios(rows);
  console.log(`\nJSON/msg: JSON.stringify calls per published message on the server. RSS: peak of the whole bench server process (both servers live in it).`);
  console.log(`done in ${fmt((performance.now() - startedAt) / 1000, 1)} s`);
  await cleanup();
  clearTimeout(budget);
  process.exit(0);
} catch (err) {
  console.error(`\ngateway-fanout failed: ${err.stack ?? err}`);
  await cleanup();
  process.exit(1);
}
