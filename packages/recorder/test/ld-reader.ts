// A MoTeC .ld reader for the tests, written apart from the writer (src/export/motec.ts) from the
// format as the open readers describe it: its own offsets, no shared code. A writer bug that both
// would share is what this guards against.

export interface LdRead {
  date: string;
  time: string;
  driver: string;
  vehicle: string;
  venue: string;
  event: { name: string; session: string; comment: string; venue: string; vehicle: string } | undefined;
  deviceType: string;
  channels: Array<{ name: string; short: string; unit: string; freq: number; count: number; values: number[] }>;
}

function str(b: Buffer, from: number, len: number): string {
  const raw = b.subarray(from, from + len);
  const end = raw.indexOf(0);
  return raw.toString('ascii', 0, end < 0 ? raw.length : end).trim();
}

export function readLd(b: Buffer): LdRead {
  // Header fields, by offset (the layout of the header the readers document).
  const metaPtr = b.readUInt32LE(8);
  const eventPtr = b.readUInt32LE(36);
  const channelCount = b.readUInt32LE(86);
  const out: LdRead = {
    date: str(b, 94, 16),
    time: str(b, 126, 16),
    driver: str(b, 158, 64),
    vehicle: str(b, 222, 64),
    venue: str(b, 350, 64),
    deviceType: str(b, 74, 8),
    event: undefined,
    channels: [],
  };
  if (eventPtr) {
    const venuePtr = b.readUInt16LE(eventPtr + 1152);
    const vehiclePtr = venuePtr ? b.readUInt16LE(venuePtr + 1098) : 0;
    out.event = { name: str(b, eventPtr, 64), session: str(b, eventPtr + 64, 64), comment: str(b, eventPtr + 128, 1024), venue: venuePtr ? str(b, venuePtr, 64) : '', vehicle: vehiclePtr ? str(b, vehiclePtr, 64) : '' };
  }
  // Channels: a linked list of meta blocks starting at metaPtr.
  let p = metaPtr;
  let guard = 0;
  while (p && guard++ < 10_000) {
    const next = b.readUInt32LE(p + 4);
    const dataPtr = b.readUInt32LE(p + 8);
    const count = b.readUInt32LE(p + 12);
    const typeA = b.readUInt16LE(p + 18);
    const typeB = b.readUInt16LE(p + 20);
    const freq = b.readUInt16LE(p + 22);
    const shift = b.readInt16LE(p + 24);
    const mul = b.readInt16LE(p + 26);
    const scale = b.readInt16LE(p + 28);
    const dec = b.readInt16LE(p + 30);
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      let raw: number;
      if (typeA === 7) raw = typeB === 4 ? b.readFloatLE(dataPtr + i * 4) : NaN;
      else raw = typeB === 2 ? b.readInt16LE(dataPtr + i * 2) : b.readInt32LE(dataPtr + i * 4);
      values.push((raw / scale) * Math.pow(10, -dec) * mul + shift * mul);
    }
    out.channels.push({ name: str(b, p + 32, 32), short: str(b, p + 64, 8), unit: str(b, p + 72, 12), freq, count, values });
    p = next;
  }
  if (out.channels.length !== channelCount) throw new Error(`header says ${channelCount} channels, the list holds ${out.channels.length}`);
  return out;
}

/** The beacon times (seconds) of an .ldx file. */
export function readLdxBeacons(xml: string): number[] {
  return [...xml.matchAll(/<Marker [^>]*ClassName="BCN"[^>]*Time="([^"]+)"/g)].map((m) => Number(m[1]) / 1e6);
}
