/**
 * Windows-1252, the code page rF2 names are stored in. Node 20's TextDecoder('windows-1252') and
 * Buffer#toString('latin1') both decode 0x80-0x9F as C1 controls, so that range needs its own table
 * (the WHATWG index: the five unassigned bytes map to the C1 code point of the same value).
 */
const HIGH_C1 = [
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
  0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
];

const ENCODE_HIGH = new Map<number, number>(HIGH_C1.map((cp, i) => [cp, 0x80 + i]));

/**
 * Decodes a fixed-size `char[N]` field: cut at the first NUL within [start, end), or at `end` when the
 * array is full and has no terminator.
 */
export function decodeCp1252(buf: Buffer, start: number, end: number): string {
  let stop = buf.indexOf(0, start);
  if (stop < 0 || stop > end) stop = end;
  let high = false;
  for (let i = start; i < stop; i++) {
    if (buf[i]! >= 0x80) {
      high = true;
      break;
    }
  }
  if (!high) return buf.toString('latin1', start, stop);
  let out = '';
  for (let i = start; i < stop; i++) {
    const b = buf[i]!;
    out += String.fromCharCode(b >= 0x80 && b < 0xa0 ? HIGH_C1[b - 0x80]! : b);
  }
  return out;
}

/** Encodes into a `char[size]` field: truncated to `size` bytes (no NUL then), NUL-padded when shorter; unmappable characters become '?'. */
export function encodeCp1252(text: string, buf: Buffer, start: number, size: number): void {
  buf.fill(0, start, start + size);
  let i = 0;
  for (const ch of text) {
    if (i >= size) break;
    const cp = ch.codePointAt(0)!;
    let b: number;
    if (cp < 0x80 || (cp >= 0xa0 && cp <= 0xff)) b = cp;
    else b = ENCODE_HIGH.get(cp) ?? 0x3f;
    buf[start + i++] = b;
  }
}
