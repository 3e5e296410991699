/** Reconnect delays: doubling from `minMs` to `maxMs`, back to `minMs` after a success. */
export class Backoff {
  private current: number;
  constructor(private readonly minMs: number, private readonly maxMs: number) {
    this.current = minMs;
  }

  next(): number {
    const d = this.current;
    this.current = Math.min(this.maxMs, this.current * 2);
    return d;
  }

  reset(): void {
    this.current = this.minMs;
  }
}
