// Stands in for rFactor 2 on Windows: run by node.exe under Wine (the Windows test run), it creates
// the real named mappings with CreateFileMappingW and fills them with the package's own simulator,
// Begin/End version counters and all. Prints "writer ready <telemetry> <scoring>" once they exist.
//   --vehicles N --hz N --global --suffix S
//   --torn-every-ms N --hold-ms M   every N ms, leave a Telemetry write open for M ms with every
//                                   car's velocity set to 1e6 m/s, then put the true bytes back: a
//                                   reader that copies then must see a torn buffer, never the 1e6.
// Ctrl-C (SIGINT) stops as the plugin does: the buffers zero-filled, the mappings closed.
import { parseArgs } from 'node:util';
import { Rf2Simulator } from '../../dist/fake/index.js';
import { TELEMETRY, TELEM_VEHICLE } from '../../dist/wire/layout.js';

const { values } = parseArgs({
  options: {
    vehicles: { type: 'string', default: '6' },
    hz: { type: 'string', default: '50' },
    global: { type: 'boolean', default: false },
    suffix: { type: 'string' },
    'torn-every-ms': { type: 'string', default: '0' },
    'hold-ms': { type: 'string', default: '30' },
  },
});

const sim = new Rf2Simulator({ output: 'mappings', global: values.global, suffix: values.suffix, vehicles: Number(values.vehicles), hz: Number(values.hz), playerName: 'Wine Player' });
sim.start();
console.log(`writer ready ${sim.paths.telemetry} ${sim.paths.scoring}`);

let torn = 0;
const tornEvery = Number(values['torn-every-ms']);
if (tornEvery > 0) {
  const holdMs = Number(values['hold-ms']);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const garbage = Buffer.alloc(24);
  for (let i = 0; i < 3; i++) garbage.writeDoubleLE(1e6, i * 8);
  setInterval(() => {
    const w = sim.writer;
    const image = w.images.image('Telemetry');
    const count = image.readInt32LE(TELEMETRY.numVehicles);
    const offsets = Array.from({ length: count }, (_, i) => TELEMETRY.vehicles + i * TELEMETRY.vehicleSize + TELEM_VEHICLE.localVel);
    const saved = offsets.map((o) => Buffer.from(image.subarray(o, o + 24)));
    w.beginWrite('Telemetry');
    for (const o of offsets) w.writeRaw('Telemetry', o, garbage);
    Atomics.wait(sleeper, 0, 0, holdMs); // the write stays open while the reader polls
    offsets.forEach((o, i) => w.writeRaw('Telemetry', o, saved[i]));
    w.endWrite('Telemetry');
    torn++;
  }, tornEvery);
}

process.on('SIGINT', () => {
  sim.stop();
  console.log(`writer stopped after ${torn} held writes`);
  process.exit(0);
});
