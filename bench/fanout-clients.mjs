// The client side of gateway-fanout.bench.mjs: a separate process holding the websocket clients, so
// the server under test has its own event loop and its own CPU figure. Clients come in named groups
// (one per server under test) that stay connected side by side, so the bench can alternate short
// windows between the servers. Driven over the fork IPC channel; every request has an `id` that the
// answer repeats:
//
//   {op:'connect', group, url, n, subscribe?}  open n clients (send `subscribe`, wait for "subscribed")
//   {op:'stats', group}                          measured receipts so far (to wait for the tail)
//   {op:'begin', group} / {op:'end', group}      bracket a measured window (this process's CPU figure)
//   {op:'report', group}                         receipts, latency quantiles, per-client spread, closes
//   {op:'reset', group}                          forget the group's counts
//   {op:'close', group}                          close the group's clients
//
// Every telemetry frame ends in `"m":<0|1>,"hr":<µs>}}`: m=1 marks a message of a measured window
// (warm-up frames are m=0) and hr is the publish time in µs of the monotonic clock, which on Linux is
// one clock for every process, so publish->receipt latency needs no clock sync.
import { createRequire } from 'node:module';

// The same `ws` the core uses, so both sides of the comparison speak through one implementation.
const WebSocket = createRequire(import.meta.resolve('@acgateway/core'))('ws');

if (!process.send) {
  console.error('fanout-clients.mjs is started by gateway-fanout.bench.mjs (it needs an IPC channel)');
  process.exit(2);
}

/** µs of the monotonic clock, shared by every process on the machine (unlike performance.now()'s origin). */
function nowUs() {
  const t = process.hrtime();
  return t[0] * 1e6 + t[1] / 1e3;
}

const BUCKET_US = 10;
const BUCKETS = 200_000; // 10 µs buckets up to 2 s; slower receipts land in the last one (max is kept apart)
const HR = Buffer.from(',"hr":');
const ONE = 0x31;
const COLON = 0x3a;

class Group {
  sockets = [];
  hist = new Uint32Array(BUCKETS);

  constructor() {
    this.reset();
  }

  reset() {
    this.perClient = new Uint32Array(this.sockets.length);
    this.hist.fill(0);
    this.received = 0; // measured frames
    this.warm = 0; // warm-up frames
    this.maxUs = 0;
    this.closedEarly = 0;
    this.closeReasons = new Map();
    this.checkedShape = false;
    this.cpuMs = 0;
    this.wallMs = 0;
  }

  /** Reads the trailing `"m":X,"hr":N` without parsing the frame: the client must stay cheaper than the server. */
  onFrame(i, buf) {
    const at = buf.lastIndexOf(HR);
    if (at < 0) return; // a control frame
    let hr = 0;
    for (let k = at + HR.length; k < buf.length; k++) {
      const c = buf[k] - 48;
      if (c < 0 || c > 9) break;
      hr = hr * 10 + c;
    }
    const measured = buf[at - 1] === ONE && buf[at - 2] === COLON;
    if (!this.checkedShape) this.checkShape(buf, hr, measured);
    if (!measured) {
      this.warm++;
      return;
    }
    const lat = nowUs() - hr;
    this.received++;
    this.perClient[i]++;
    if (lat > this.maxUs) this.maxUs = lat;
    this.hist[lat <= 0 ? 0 : Math.min(BUCKETS - 1, Math.floor(lat / BUCKET_US))]++;
  }

  /** Once per reset the fast reading is checked against a full parse, so a changed frame layout fails loudly. */
  checkShape(buf, hr, measured) {
    this.checkedShape = true;
    let f;
    try {
      f = JSON.parse(buf.toString());
    } catch (err) {
      fail(`a frame is not JSON: ${err.message}`);
    }
    if (typeof f.topic !== 'string' || typeof f.ts !== 'number' || !f.data || f.data.hr !== hr || (f.data.m === 1) !== measured) {
      fail(`unexpected frame shape (the fast reader expects data to end in "m" then "hr"): ${buf.toString().slice(0, 300)}`);
    }
  }

  quantile(q) {
    if (this.received === 0) return null;
    const want = Math.max(1, Math.ceil(q * this.received));
    let seen = 0;
    for (let b = 0; b < BUCKETS - 1; b++) {
      seen += this.hist[b];
      if (seen >= want) return ((b + 0.5) * BUCKET_US) / 1000;
    }
    return this.maxUs / 1000;
  }

  report() {
    let min = Infinity;
    let max = 0;
    for (const c of this.perClient) {
      if (c < min) min = c;
      if (c > max) max = c;
    }
    return {
      received: this.received,
      rssMb: process.memoryUsage().rss / 1048576,
      warm: this.warm,
      p50: this.quantile(0.5),
      p99: this.quantile(0.99),
      maxMs: this.maxUs / 1000,
      perClientMin: this.perClient.length ? min : 0,
      perClientMax: max,
      cpu: this.wallMs ? this.cpuMs / this.wallMs : null,
      closedEarly: this.closedEarly,
      closeReasons: Object.fromEntries(this.closeReasons),
    };
  }

  async connect(url, n, subscribe) {
    await this.close();
    this.sockets = new Array(n);
    // A bounded number of handshakes in flight: a thousand at once only measures the listen backlog.
    const batch = 50;
    for (let i = 0; i < n; i += batch) {
      const part = [];
      for (let k = i; k < Math.min(n, i + batch); k++) part.push(this.openOne(k, url, subscribe).then((ws) => (this.sockets[k] = ws)));
      await Promise.all(part);
    }
    this.reset();
    return { clients: this.sockets.length };
  }

  openOne(i, url, subscribe) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
      let ready = false;
      const timer = setTimeout(() => reject(new Error(`client ${i}: no ${subscribe ? '"subscribed"' : 'open'} within 15 s`)), 15_000);
      const done = () => {
        ready = true;
        clearTimeout(timer);
        resolve(ws);
      };
      ws.on('error', (err) => {
        if (!ready) {
          clearTimeout(timer);
          reject(new Error(`client ${i} (${url}): ${err.message}`));
        }
      });
      ws.on('close', (code, reason) => {
        if (ws.closingOnPurpose) return;
        this.closedEarly++;
        const key = `${code} ${reason.toString()}`.trim();
        this.closeReasons.set(key, (this.closeReasons.get(key) ?? 0) + 1);
      });
      if (!subscribe) {
        ws.on('message', (b) => this.onFrame(i, b));
        ws.on('open', done);
        return;
      }
      // Until the acknowledgement arrives frames are read as JSON; afterwards only the fast reader runs.
      const onControl = (buf) => {
        let f;
        try {
          f = JSON.parse(buf.toString());
        } catch {
          return;
        }
        if (f.op === 'subscribed') {
          ws.off('message', onControl);
          ws.on('message', (b) => this.onFrame(i, b));
          done();
        } else if (f.op === 'error' || f.error) {
          clearTimeout(timer);
          reject(new Error(`client ${i}: subscribe refused: ${JSON.stringify(f.error)}`));
        }
      };
      ws.on('message', onControl);
      ws.on('open', () => ws.send(JSON.stringify(subscribe)));
    });
  }

  close() {
    const closing = this.sockets.filter(Boolean).map(
      (ws) =>
        new Promise((resolve) => {
          ws.closingOnPurpose = true;
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', resolve);
          ws.terminate();
        }),
    );
    this.sockets = [];
    return Promise.all(closing);
  }
}

function fail(message) {
  console.error(`fanout-clients: ${message}`);
  process.exit(1);
}

const groups = new Map();
const groupOf = (name) => {
  if (!groups.has(name)) groups.set(name, new Group());
  return groups.get(name);
};
let window;

const ops = {
  connect: (g, m) => g.connect(m.url, m.n, m.subscribe),
  stats: (g) => ({ received: g.received }),
  begin: () => {
    window = { at: performance.now(), cpu: process.cpuUsage() };
  },
  end: (g) => {
    const cpu = process.cpuUsage(window.cpu);
    g.cpuMs += (cpu.user + cpu.system) / 1000;
    g.wallMs += performance.now() - window.at;
  },
  report: (g) => g.report(),
  reset: (g) => g.reset(),
  close: async (g) => {
    await g.close();
  },
};

process.on('message', async (msg) => {
  const op = ops[msg.op];
  if (!op) return process.send({ id: msg.id, error: `unknown op ${msg.op}` });
  try {
    process.send({ id: msg.id, ok: true, ...(await op(groupOf(msg.group), msg)) });
  } catch (err) {
    process.send({ id: msg.id, error: err.message });
  }
});
// The bench process owns this one: when it goes, so do we.
process.on('disconnect', () => process.exit(0));
process.send({ op: 'hello' });
