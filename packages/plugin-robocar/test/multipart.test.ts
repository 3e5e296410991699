import { describe, expect, it } from 'vitest';
import { boundaryOf, MultipartError, MultipartParser } from '@acgateway/plugin-robocar';

const body = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 37) & 0xff));

function feed(parser: MultipartParser, stream: Buffer, chunk: number) {
  const parts = [];
  for (let i = 0; i < stream.length; i += chunk) parts.push(...parser.push(stream.subarray(i, i + chunk)));
  return parts;
}

describe('boundaryOf', () => {
  it('reads plain and quoted boundaries', () => {
    expect(boundaryOf('multipart/x-mixed-replace; boundary=frame')).toBe('frame');
    expect(boundaryOf('multipart/x-mixed-replace;boundary="my boundary"')).toBe('my boundary');
    expect(boundaryOf('multipart/x-mixed-replace; charset=x; BOUNDARY=--abc; q=1')).toBe('--abc');
    expect(boundaryOf('multipart/x-mixed-replace')).toBeUndefined();
    expect(boundaryOf(undefined)).toBeUndefined();
  });
});

describe('MultipartParser', () => {
  const p1 = body(300);
  const p2 = Buffer.concat([body(50), Buffer.from('\r\n--fram'), body(20)]); // a near-boundary inside a body

  it('cuts parts by Content-Length at any chunk size', () => {
    const stream = Buffer.concat([
      Buffer.from('preamble\r\n--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 300\r\n\r\n'), p1,
      Buffer.from('\r\n--frame\r\ncontent-type: image/jpeg\r\ncontent-length: ' + p2.length + '\r\nX-Timestamp: 1.5\r\n\r\n'), p2,
      Buffer.from('\r\n'),
    ]);
    for (const chunk of [1, 3, 64, stream.length]) {
      const parts = feed(new MultipartParser({ boundary: 'frame' }), stream, chunk);
      expect(parts.map((p) => p.body.length)).toEqual([300, p2.length]);
      expect(parts[0]!.body.equals(p1)).toBe(true);
      expect(parts[1]!.body.equals(p2)).toBe(true);
      expect(parts[1]!.headers).toMatchObject({ 'content-type': 'image/jpeg', 'x-timestamp': '1.5' });
    }
  });

  it('cuts parts at the next boundary when there is no Content-Length (LF-only lines too)', () => {
    const stream = Buffer.concat([
      Buffer.from('--frame\r\nContent-Type: image/jpeg\r\n\r\n'), p1, Buffer.from('\r\n'),
      Buffer.from('--frame\nContent-Type: image/jpeg\n\n'), p2, Buffer.from('\n'),
      Buffer.from('--frame\r\n'),
    ]);
    for (const chunk of [1, 5, stream.length]) {
      const parts = feed(new MultipartParser({ boundary: 'frame' }), stream, chunk);
      expect(parts.map((p) => p.body.length)).toEqual([300, p2.length]);
      expect(parts[1]!.body.equals(p2)).toBe(true);
    }
  });

  it('copes with a boundary declared with its dashes, or not declared at all', () => {
    const stream = Buffer.concat([Buffer.from('--myboundary\r\nContent-Length: 300\r\n\r\n'), p1, Buffer.from('\r\n--myboundary\r\nContent-Length: 300\r\n\r\n'), p1]);
    expect(feed(new MultipartParser({ boundary: '--myboundary' }), stream, 17).map((p) => p.body.length)).toEqual([300, 300]);
    expect(feed(new MultipartParser({}), stream, 17).map((p) => p.body.length)).toEqual([300, 300]);
  });

  it('throws on garbage: no boundary, oversized part, bad header, bad length', () => {
    const big = new MultipartParser({ boundary: 'frame', maxPartBytes: 1000 });
    expect(() => feed(big, Buffer.alloc(3000, 0x41), 500)).toThrow(/no boundary "--frame" within 1000 bytes/);
    expect(() => new MultipartParser({ boundary: 'frame', maxPartBytes: 1000 }).push(Buffer.from('--frame\r\nContent-Length: 5000\r\n\r\n'))).toThrow(/over the limit of 1000/);
    expect(() => new MultipartParser({ boundary: 'frame' }).push(Buffer.from('--frame\r\nthis is not a header\r\n\r\n'))).toThrow(MultipartError);
    expect(() => new MultipartParser({ boundary: 'frame' }).push(Buffer.from('--frame\r\nContent-Length: lots\r\n\r\n'))).toThrow(/not a byte count/);
    expect(() => feed(new MultipartParser({ maxHeaderBytes: 100 }), Buffer.alloc(500, 0x42), 50)).toThrow(/no "--" boundary line/);
  });
});
