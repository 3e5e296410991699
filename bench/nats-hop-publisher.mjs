// The track side of the NATS bridge bench, in its own process: a Host exporting bench/# over NATS,
// publishing on command {op:'run', hz, cars, ms} (hz 0 = flat out) and reporting what it sent.
const core = await import('@acgateway/core');
const nats = (await import('@acgateway/plugin-nats')).default;
const nowUs = () => {
  const t = process.hrtime();
  return t[0] * 1e6 + Math.floor(t[1] / 1e3);
};
let host;
const payload0 = (car) => ({ car, lap: 12, speedKmh: 231.4, rpm: 11873, gear: 6, throttle: 0.98, brake: 0, x: 120.5, y: 3.2, z: -88.1, m: 1, hr: nowUs() });
process.on('message', async (msg) => {
  if (msg.op === 'start') {
    host = new core.Host({ config: { server: { enabled: false }, log: { level: 'silent' }, plugins: [nats({ servers: msg.url, node: 'track', export: ['bench/#'], retained: { enabled: false }, commands: { enabled: false } })] } });
    await host.start();
    while (host.health().status !== 'ok') await new Promise((r) => setTimeout(r, 20));
    process.send({ op: 'ready' });
  } else if (msg.op === 'run') {
    let sent = 0;
    const end = performance.now() + msg.ms;
    const payload = (car) => ({ car, lap: 12, speedKmh: 231.4, rpm: 11873, gear: 6, throttle: 0.98, brake: 0, x: 120.5, y: 3.2, z: -88.1, m: 1, hr: nowUs() });
    if (msg.hz === 0) {
      while (performance.now() < end) {
        for (let i = 0; i < 200; i++) host.bus.publish('bench/car', payload(sent++ % msg.cars), { key: String(sent % msg.cars) });
        await new Promise((r) => setImmediate(r));
      }
    } else {
      const start = performance.now();
      let ticks = 0;
      await new Promise((resolve) => {
        const t = setInterval(() => {
          const due = Math.floor(((performance.now() - start) * msg.hz) / 1000);
          for (; ticks < due; ticks++) for (let c = 0; c < msg.cars; c++) { host.bus.publish('bench/car', payload(c), { key: String(c) }); sent++; }
          if (performance.now() >= end) { clearInterval(t); resolve(); }
        }, 1000 / msg.hz / 2);
      });
    }
    process.send({ op: 'done', sent, rssMb: process.memoryUsage().rss / 1048576 });
  } else if (msg.op === 'raw') {
    // The transport alone: the same 60 Hz bursts with nats.js straight to nats-server, no gateway.
    const { connect } = await import('@nats-io/transport-node');
    const nc = await connect({ servers: msg.url });
    const enc = new TextEncoder();
    let sent = 0;
    const start = performance.now();
    let ticks = 0;
    await new Promise((resolve) => {
      const t = setInterval(() => {
        const due = Math.floor(((performance.now() - start) * msg.hz) / 1000);
        for (; ticks < due; ticks++) for (let c = 0; c < msg.cars; c++) { nc.publish('raw.bench.car', enc.encode(JSON.stringify(payload0(c)))); sent++; }
        if (performance.now() - start >= msg.ms) { clearInterval(t); resolve(); }
      }, 1000 / msg.hz / 2);
    });
    await nc.flush();
    await nc.close();
    process.send({ op: 'done', sent, rssMb: process.memoryUsage().rss / 1048576 });
  } else if (msg.op === 'stop') {
    await host?.stop();
    process.exit(0);
  }
});
