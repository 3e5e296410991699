/**
 * MoTeC i2 logged data (`.ld`) and its lap beacons (`.ldx`), written from the published facts of the
 * format (it has no official description; these come from the open readers and writers sim racers
 * use: the header and channel layouts below). Little-endian throughout.
 *
 *   header, 0x6E2 bytes:                       channel meta, 124 bytes each (a linked list):
 *     0x000 u32 marker 0x40                       0x00 u32 previous meta (0 for the first)
 *     0x008 u32 first channel meta                0x04 u32 next meta (0 for the last)
 *     0x00C u32 channel data                      0x08 u32 data pointer
 *     0x024 u32 event block                       0x0C u32 samples
 *     0x040 u16 1, u16 0x4240, u16 0x0F           0x10 u16 channel id
 *     0x046 u32 device serial                     0x12 u16 type: 7 float, 3 int16, 5 int32
 *     0x04A 8s  device type "ADL"                 0x14 u16 bytes per sample
 *     0x052 u16 device version 420                0x16 u16 frequency, Hz
 *     0x054 u16 0xADB0                            0x18 i16 shift, 0x1A i16 multiplier,
 *     0x056 u32 channels                          0x1C i16 scale, 0x1E i16 decimal places
 *     0x05E 16s date dd/mm/yyyy                   0x20 32s name, 0x40 8s short name, 0x48 12s unit
 *     0x07E 16s time hh:mm:ss                     value = (raw / scale * 10^-dec + shift) * multiplier
 *     0x09E 64s driver, 0x0DE 64s vehicle, 0x15E 64s venue
 *     0x5DE u32 0xC81A4 ("pro logging"), 0x624 64s short comment
 *   event block: 64s name, 64s session, 1024s comment, u16 venue block pointer
 *   venue block: 64s name, 1034 bytes, u16 vehicle block pointer
 *   vehicle block: 64s id, 128 bytes, u32 weight, 32s type, 32s comment
 *
 * The `.ldx` beside it is XML: a Beacons marker group with one marker per lap crossing, its time in
 * microseconds from the start of the log; MoTeC i2 splits laps at them.
 */

export interface LdChannel {
  name: string;
  shortName: string;
  unit: string;
  /** Samples per second. */
  hz: number;
  /** float32, or int16 for whole numbers (gear, lap). */
  type: 'float32' | 'int16';
  samples: ArrayLike<number>;
}

export interface LdFile {
  when: Date;
  driver: string;
  vehicle: string;
  venue: string;
  event: string;
  session: string;
  comment: string;
  channels: LdChannel[];
}

const HEADER = 0x6e2;
const EVENT = 64 + 64 + 1024 + 2;
const VENUE = 64 + 1034 + 2;
const VEHICLE = 64 + 128 + 4 + 32 + 32;
const META = 124;

function text(b: Buffer, at: number, s: string, max: number): void {
  // ASCII, as the readers decode it; anything else becomes '?'.
  b.write(s.replace(/[^\x20-\x7e]/g, '?').slice(0, max - 1), at, 'latin1');
}

const p2 = (n: number) => String(n).padStart(2, '0');

export function encodeLd(f: LdFile): Buffer {
  const eventAt = HEADER;
  const venueAt = eventAt + EVENT;
  const vehicleAt = venueAt + VENUE;
  const metaAt = vehicleAt + VEHICLE;
  const dataAt = metaAt + META * f.channels.length;
  const dataBytes = f.channels.reduce((n, c) => n + c.samples.length * (c.type === 'float32' ? 4 : 2), 0);
  const b = Buffer.alloc(dataAt + dataBytes);

  b.writeUInt32LE(0x40, 0x000);
  b.writeUInt32LE(f.channels.length ? metaAt : 0, 0x008);
  b.writeUInt32LE(dataAt, 0x00c);
  b.writeUInt32LE(eventAt, 0x024);
  b.writeUInt16LE(1, 0x040);
  b.writeUInt16LE(0x4240, 0x042);
  b.writeUInt16LE(0x0f, 0x044);
  b.writeUInt32LE(0x1f44, 0x046);
  text(b, 0x04a, 'ADL', 8);
  b.writeUInt16LE(420, 0x052);
  b.writeUInt16LE(0xadb0, 0x054);
  b.writeUInt32LE(f.channels.length, 0x056);
  const w = f.when;
  text(b, 0x05e, `${p2(w.getDate())}/${p2(w.getMonth() + 1)}/${w.getFullYear()}`, 16);
  text(b, 0x07e, `${p2(w.getHours())}:${p2(w.getMinutes())}:${p2(w.getSeconds())}`, 16);
  text(b, 0x09e, f.driver, 64);
  text(b, 0x0de, f.vehicle, 64);
  text(b, 0x15e, f.venue, 64);
  b.writeUInt32LE(0xc81a4, 0x5de);
  text(b, 0x624, f.comment, 64);

  text(b, eventAt, f.event, 64);
  text(b, eventAt + 64, f.session, 64);
  text(b, eventAt + 128, f.comment, 1024);
  b.writeUInt16LE(venueAt, eventAt + 64 + 64 + 1024);
  text(b, venueAt, f.venue, 64);
  b.writeUInt16LE(vehicleAt, venueAt + 64 + 1034);
  text(b, vehicleAt, f.vehicle, 64);

  let data = dataAt;
  f.channels.forEach((c, i) => {
    const at = metaAt + i * META;
    const size = c.type === 'float32' ? 4 : 2;
    b.writeUInt32LE(i === 0 ? 0 : at - META, at);
    b.writeUInt32LE(i === f.channels.length - 1 ? 0 : at + META, at + 0x04);
    b.writeUInt32LE(data, at + 0x08);
    b.writeUInt32LE(c.samples.length, at + 0x0c);
    b.writeUInt16LE(0x2ee1 + i, at + 0x10);
    b.writeUInt16LE(c.type === 'float32' ? 7 : 3, at + 0x12);
    b.writeUInt16LE(size, at + 0x14);
    b.writeUInt16LE(c.hz, at + 0x16);
    b.writeInt16LE(0, at + 0x18);
    b.writeInt16LE(1, at + 0x1a);
    b.writeInt16LE(1, at + 0x1c);
    b.writeInt16LE(0, at + 0x1e);
    text(b, at + 0x20, c.name, 32);
    text(b, at + 0x40, c.shortName, 8);
    text(b, at + 0x48, c.unit, 12);
    for (let k = 0; k < c.samples.length; k++) {
      const v = c.samples[k]!;
      if (c.type === 'float32') b.writeFloatLE(Number.isFinite(v) ? v : 0, data + k * 4);
      else b.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(Number.isFinite(v) ? v : 0))), data + k * 2);
    }
    data += c.samples.length * size;
  });
  return b;
}

/** The `.ldx`: a beacon at each lap crossing (seconds from the log's start), and the lap count. */
export function encodeLdx(beaconsS: number[], fastest?: { lap: number; timeS: number }): string {
  const markers = beaconsS.map((s, i) => `      <Marker Version="100" ClassName="BCN" Name="Manual.${i + 1}" Flags="77" Time="${(s * 1e6).toFixed(0)}"/>`).join('\n');
  const details = [`      <String Id="Total Laps" Value="${beaconsS.length + 1}"/>`];
  if (fastest) {
    const m = Math.floor(fastest.timeS / 60);
    details.push(`      <String Id="Fastest Time" Value="${m}:${(fastest.timeS - m * 60).toFixed(3).padStart(6, '0')}"/>`, `      <String Id="Fastest Lap" Value="${fastest.lap}"/>`);
  }
  return `<?xml version="1.0"?>
<LDXFile Locale="English_United Kingdom.1252" DefaultLocale="C" Version="1.6">
  <Layers>
    <Layer>
      <MarkerBlock>
        <MarkerGroup Name="Beacons" Index="3">
${markers}
        </MarkerGroup>
      </MarkerBlock>
      <RangeBlock/>
    </Layer>
    <Details>
${details.join('\n')}
    </Details>
  </Layers>
</LDXFile>
`;
}

/** Samples at irregular times held to a fixed rate (each sample's value until the next). */
export function resample(times: ArrayLike<number>, values: ArrayLike<number>, startMs: number, count: number, hz: number): Float64Array {
  const out = new Float64Array(count);
  let j = 0;
  for (let i = 0; i < count; i++) {
    const t = startMs + (i * 1000) / hz;
    while (j + 1 < times.length && times[j + 1]! <= t) j++;
    out[i] = values[j] ?? 0;
  }
  return out;
}

interface Sample {
  t: number;
  speed: number;
  rpm: number;
  throttle: number;
  brake: number;
  steering: number;
  gear: number;
  lap: number;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Gathers rF2 player telemetry (`rf2/telemetry`, names from `rf2/player`) into MoTeC channels. */
export class MotecCollector {
  readonly samples: Sample[] = [];
  driver = '';
  vehicle = '';
  venue = '';
  session = '';

  add(topic: string, t: number, data: unknown): void {
    const d = data as Record<string, unknown>;
    if (topic === 'rf2/telemetry' && d) {
      this.samples.push({
        t,
        speed: num(d.speedKmh),
        rpm: num(d.rpm),
        throttle: num(d.throttle) * 100,
        brake: num(d.brake) * 100,
        steering: num(d.steering) * 100,
        gear: num(d.gear),
        lap: num(d.lapNumber),
      });
      this.vehicle ||= String(d.vehicleName ?? '');
      this.venue ||= String(d.trackName ?? '');
    } else if (topic === 'rf2/player' && d) {
      this.driver ||= String(d.driverName ?? '');
    } else if (topic === 'rf2/scoring' && d) {
      this.session ||= String(d.sessionKind ?? '');
    }
  }

  /** The .ld channels at `hz`, and the lap beacons (seconds from the log's start). */
  build(hz: number): { channels: LdChannel[]; beaconsS: number[]; fastest?: { lap: number; timeS: number }; durationS: number } {
    const s = this.samples;
    const start = s[0]!.t;
    const durationMs = s.at(-1)!.t - start;
    const count = Math.floor((durationMs * hz) / 1000) + 1;
    const times = s.map((x) => x.t);
    const ch = (name: string, shortName: string, unit: string, type: LdChannel['type'], pick: (x: Sample) => number): LdChannel => ({ name, shortName, unit, hz, type, samples: resample(times, s.map(pick), start, count, hz) });
    const beaconsS: number[] = [];
    let fastest: { lap: number; timeS: number } | undefined;
    let lastCross = 0;
    for (let i = 1; i < s.length; i++) {
      if (s[i]!.lap > s[i - 1]!.lap) {
        const at = (s[i]!.t - start) / 1000;
        if (beaconsS.length) {
          const lapTime = at - lastCross;
          if (!fastest || lapTime < fastest.timeS) fastest = { lap: beaconsS.length, timeS: lapTime };
        }
        beaconsS.push(at);
        lastCross = at;
      }
    }
    return {
      channels: [
        ch('Ground Speed', 'Speed', 'km/h', 'float32', (x) => x.speed),
        ch('Engine RPM', 'RPM', 'rpm', 'float32', (x) => x.rpm),
        ch('Throttle Pos', 'Throttle', '%', 'float32', (x) => x.throttle),
        ch('Brake Pos', 'Brake', '%', 'float32', (x) => x.brake),
        ch('Steering Pos', 'Steer', '%', 'float32', (x) => x.steering),
        ch('Gear', 'Gear', '', 'int16', (x) => x.gear),
        ch('Lap Number', 'Lap', '', 'int16', (x) => x.lap),
      ],
      beaconsS,
      fastest,
      durationS: durationMs / 1000,
    };
  }
}
