export interface BackoffOptions {
  /** First delay, ms. */
  initialMs: number;
  /** Cap, ms. */
  maxMs: number;
  /** Growth per failed attempt. */
  factor: number;
  /** Fraction (0..1) of each delay taken off at random, so many clients do not retry in step. */
  jitter: number;
}

/**
 * Reconnect delays for every client in the project (race control, cameras, bridges): initial *
 * factor^n, capped, then up to `jitter` of it removed at random so many clients do not retry in
 * step; `reset()` after a success.
 */
export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions, private readonly random: () => number = Math.random) {}

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.options;
    const base = Math.min(maxMs, initialMs * factor ** Math.min(this.attempt, 64));
    this.attempt++;
    return Math.max(0, Math.round(base * (1 - jitter * this.random())));
  }

  reset(): void {
    this.attempt = 0;
  }
}
