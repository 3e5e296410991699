import { encodeEvent, MessageId } from '@acgateway/plugin-acudp';
import { seededRandom } from '../src/fake/random.js';
import { SAMPLE_EVENTS } from './samples.js';

const IDS: number[] = Object.values(MessageId);

/**
 * `n` datagrams: 27 % random bytes, 27 % random bytes behind a valid id, 46 % real messages
 * mutated (bytes flipped, cut short, extended, a length byte set to 255).
 */
export function* fuzzDatagrams(n: number, seed: number): Generator<Buffer> {
  const rnd = seededRandom(seed);
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
