import { encodeEvent } from '@acgateway/plugin-acudp';
import { SAMPLE_EVENTS } from './samples.js';

/** Small seeded generator so a failure can be reproduced. */
export function mulberry32(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const IDS = [50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 73, 130];

/**
 * `n` datagrams: 27 % random bytes, 27 % random bytes behind a valid id, 46 % real messages
 * mutated (bytes flipped, cut short, extended, a length byte set to 255).
 */
export function* fuzzDatagrams(n: number, seed: number): Generator<Buffer> {
  const rnd = mulberry32(seed);
  const int = (k: number) => Math.floor(rnd() * k);
  const seeds = SAMPLE_EVENTS.map((e) => encodeEvent(e));
  for (let i = 0; i < n; i++) {
    const kind = i % 100;
    if (kind < 27) {
      const buf = Buffer.alloc(int(300));
      for (let j = 0; j < buf.length; j++) buf[j] = int(256);
      yield buf;
    } else if (kind < 54) {
      const buf = Buffer.alloc(1 + int(300));
      for (let j = 0; j < buf.length; j++) buf[j] = int(256);
      buf[0] = IDS[int(IDS.length)]!;
      yield buf;
    } else {
      let buf = Buffer.from(seeds[int(seeds.length)]!);
      const op = int(4);
      if (op === 0) for (let k = 1 + int(4); k > 0; k--) buf[int(buf.length)] = int(256);
      else if (op === 1) buf = buf.subarray(0, int(buf.length));
      else if (op === 2) buf = Buffer.concat([buf, Buffer.from(Array.from({ length: 1 + int(40) }, () => int(256)))]);
      else if (buf.length > 1) buf[1 + int(buf.length - 1)] = 255;
      yield buf;
    }
  }
}
