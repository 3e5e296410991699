/**
 * A streaming parser for `multipart/x-mixed-replace` bodies (MJPEG over HTTP: IP cameras,
 * ESP32-CAM). Parts are cut by Content-Length when a part gives one (most cameras), else at the
 * next boundary line. No I/O here.
 */

export interface MultipartPart {
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: Buffer;
}

/** The stream is not a usable multipart body; the message says why. */
export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

export interface MultipartParserOptions {
  /** From the response's Content-Type; when absent, the first line starting with `--` is taken as the delimiter. */
  boundary?: string;
  /** A part, or the bytes searched for a boundary, larger than this is garbage. Default 8 MiB. */
  maxPartBytes?: number;
  /** Default 16 KiB. */
  maxHeaderBytes?: number;
}

/** The boundary parameter of a Content-Type header, unquoted; undefined when there is none. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const b = m?.[1] ?? m?.[2];
  return b ? b.trim() : undefined;
}

type State = 'delimiter' | 'headers' | 'body';

const CRLF2 = Buffer.from('\r\n\r\n');
const LF2 = Buffer.from('\n\n');

export class MultipartParser {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = 'delimiter';
  private delimiter: Buffer | undefined;
  private headers: Record<string, string> = {};
  private contentLength: number | undefined;
  /** Where the boundary search resumes in `buf` (bytes before it were already searched). */
  private searchFrom = 0;
  private readonly maxPartBytes: number;
  private readonly maxHeaderBytes: number;

  constructor(options: MultipartParserOptions = {}) {
    this.maxPartBytes = options.maxPartBytes ?? 8 << 20;
    this.maxHeaderBytes = options.maxHeaderBytes ?? 16 << 10;
    const b = options.boundary;
    // Some cameras declare `boundary=--frame` and then write `--frame`: searching for the declared
    // value finds both that and the standard `----frame`.
    if (b) this.delimiter = Buffer.from(b.startsWith('--') ? b : `--${b}`, 'latin1');
  }

  /** Feeds bytes; returns the parts completed by them. Throws MultipartError on garbage. */
  push(chunk: Buffer): MultipartPart[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const parts: MultipartPart[] = [];
    for (;;) {
      if (this.state === 'delimiter') {
        if (!this.findDelimiter()) break;
      } else if (this.state === 'headers') {
        if (!this.readHeaders()) break;
      } else {
        const part = this.readBody();
        if (!part) break;
        parts.push(part);
      }
    }
    return parts;
  }

  private consume(n: number): void {
    this.buf = this.buf.subarray(n);
    this.searchFrom = 0;
  }

  /** Finds the delimiter line; leaves `buf` at the first header byte. */
  private findDelimiter(): boolean {
    if (!this.delimiter) {
      const learnt = this.learnDelimiter();
      if (!learnt) return false;
    }
    const delim = this.delimiter!;
    const at = this.buf.indexOf(delim, this.searchFrom);
    if (at < 0) {
      if (this.buf.length > this.maxPartBytes) throw new MultipartError(`no boundary "${delim.toString('latin1')}" within ${this.maxPartBytes} bytes`);
      this.searchFrom = Math.max(0, this.buf.length - delim.length);
      return false;
    }
    const eol = this.buf.indexOf(0x0a, at + delim.length);
    if (eol < 0) {
      if (this.buf.length - at > 1024) throw new MultipartError('boundary line does not end');
      this.searchFrom = at;
      return false;
    }
    this.consume(eol + 1);
    this.state = 'headers';
    this.headers = {};
    this.contentLength = undefined;
    return true;
  }

  private learnDelimiter(): boolean {
    let lineStart = 0;
    for (;;) {
      const eol = this.buf.indexOf(0x0a, lineStart);
      if (eol < 0) {
        if (this.buf.length > this.maxHeaderBytes) throw new MultipartError(`no boundary given and no "--" boundary line within ${this.maxHeaderBytes} bytes`);
        return false;
      }
      const line = this.buf.subarray(lineStart, eol).toString('latin1').trim();
      if (line.startsWith('--') && line.length > 2) {
        this.delimiter = Buffer.from(line.endsWith('--') ? line.slice(0, -2) : line, 'latin1');
        this.searchFrom = lineStart;
        return true;
      }
      lineStart = eol + 1;
    }
  }

  private readHeaders(): boolean {
    let end = this.buf.indexOf(CRLF2);
    let sepLen = 4;
    const lf = this.buf.indexOf(LF2);
    if (lf >= 0 && (end < 0 || lf < end)) {
      end = lf;
      sepLen = 2;
    }
    // A part may start straight with its body when it has no headers (blank line right after the boundary).
    if (this.buf.length >= 2 && this.buf[0] === 0x0d && this.buf[1] === 0x0a) {
      end = 0;
      sepLen = 2;
    } else if (this.buf.length >= 1 && this.buf[0] === 0x0a) {
      end = 0;
      sepLen = 1;
    }
    if (end < 0) {
      if (this.buf.length > this.maxHeaderBytes) throw new MultipartError(`part headers longer than ${this.maxHeaderBytes} bytes`);
      return false;
    }
    const text = this.buf.subarray(0, end).toString('latin1');
    for (const line of text.split(/\r?\n/)) {
      if (!line.trim()) continue;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new MultipartError(`malformed part header line "${line.slice(0, 80)}"`);
      this.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const cl = this.headers['content-length'];
    if (cl !== undefined) {
      const n = Number(cl);
      if (!Number.isInteger(n) || n < 0) throw new MultipartError(`part Content-Length "${cl}" is not a byte count`);
      if (n > this.maxPartBytes) throw new MultipartError(`part Content-Length ${n} is over the limit of ${this.maxPartBytes} bytes`);
      this.contentLength = n;
    }
    this.consume(end + sepLen);
    this.state = 'body';
    return true;
  }

  private readBody(): MultipartPart | undefined {
    let body: Buffer;
    if (this.contentLength !== undefined) {
      if (this.buf.length < this.contentLength) return undefined;
      body = Buffer.from(this.buf.subarray(0, this.contentLength));
      this.consume(this.contentLength);
    } else {
      const delim = this.delimiter!;
      const at = this.buf.indexOf(delim, this.searchFrom);
      if (at < 0) {
        if (this.buf.length > this.maxPartBytes) throw new MultipartError(`part without Content-Length has no closing boundary within ${this.maxPartBytes} bytes`);
        this.searchFrom = Math.max(0, this.buf.length - delim.length);
        return undefined;
      }
      let end = at;
      if (end > 0 && this.buf[end - 1] === 0x0a) end--;
      if (end > 0 && this.buf[end - 1] === 0x0d) end--;
      body = Buffer.from(this.buf.subarray(0, end));
      this.consume(at);
    }
    this.state = 'delimiter';
    return { headers: this.headers, body };
  }
}
