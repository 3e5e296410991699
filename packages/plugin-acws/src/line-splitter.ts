import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a byte stream into lines (`\n` or `\r\n`), keeping a partial line across chunks. A line
 * longer than `maxLength` is cut and the rest of it skipped, so a process printing without newlines
 * cannot grow memory.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private skipping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLength = 8192,
    private readonly onOverlong?: (length: number) => void,
  ) {}

  push(chunk: Buffer | string): void {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      this.emit(line);
    }
    if (this.buffer.length > this.maxLength) {
      if (!this.skipping) this.emit(this.buffer);
      this.skipping = true;
      this.buffer = '';
    }
  }

  /** Emits what is left (the stream ended without a final newline). */
  end(): void {
    this.buffer += this.decoder.end();
    if (this.buffer && !this.skipping) this.emit(this.buffer.replace(/\r$/, ''));
    this.buffer = '';
    this.skipping = false;
  }

  private emit(line: string): void {
    if (line.length > this.maxLength) {
      this.onOverlong?.(line.length);
      line = line.slice(0, this.maxLength);
    }
    this.onLine(line);
  }
}
