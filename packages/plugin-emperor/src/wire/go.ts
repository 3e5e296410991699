/**
 * How Go's encoding/json writes the values Server Manager sends: `time.Time` as RFC 3339 with up to
 * nine fractional digits (zero time = never), `time.Duration` as integer nanoseconds, and split texts
 * made by `Duration.String()`. Both directions live here: the decoder reads them, the fake server writes them.
 */

/** The zero `time.Time`: Server Manager's "never / not yet". */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

const RFC3339 = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** A Go time string to ms since the epoch; the zero time (or anything before year 2) and unparseable text give null. */
export function parseGoTime(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = RFC3339.exec(text);
  if (!m || Number(m[1]) <= 1) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

/** ms since the epoch (or null) as Go would print it: UTC, fraction without trailing zeros. */
export function formatGoTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return GO_ZERO_TIME;
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, f: string) => (f ? `.${f}Z` : 'Z'));
}

/** Nanoseconds (a Go duration) to milliseconds. Lap times are whole ms, so the result is exact for them. */
export function nsToMs(ns: number): number {
  return ns / 1e6;
}

export function msToNs(ms: number): number {
  return Math.round(ms * 1e6);
}

function fraction(value: number, unit: number, digits: number): string {
  const whole = Math.floor(value / unit);
  const rest = value - whole * unit;
  if (rest === 0) return String(whole);
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** `time.Duration.String()`: "0s", "500ms", "6.814s", "1m2.345s", "1h0m0s". Input in nanoseconds. */
export function formatGoDuration(ns: number): string {
  const sign = ns < 0 ? '-' : '';
  const u = Math.abs(Math.round(ns));
  if (u === 0) return '0s';
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${fraction(u, 1e3, 3)}µs`;
  if (u < 1e9) return `${sign}${fraction(u, 1e6, 6)}ms`;
  const totalSeconds = Math.floor(u / 1e9);
  const seconds = `${fraction((totalSeconds % 60) * 1e9 + (u % 1e9), 1e9, 9)}s`;
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes === 0) return sign + seconds;
  const hours = Math.floor(minutes / 60);
  if (hours === 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${hours}h${minutes % 60}m${seconds}`;
}

const DURATION_UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/** Go duration text ("1m2.345s") to ms, or null when it is not one. */
export function parseGoDuration(text: string): number | null {
  const m = DURATION.exec(text);
  if (!m) return null;
  let ms = 0;
  for (const part of text.matchAll(DURATION_PART)) ms += Number(part[1]) * DURATION_UNITS_MS[part[2]!]!;
  ms = Math.round(ms * 1e6) / 1e6;
  return m[1] === '-' ? -ms : ms;
}

/**
 * A driver's `Split` text: "0s" for the leader, a Go duration for a gap, "1 lap"/"<n> laps" for a lap
 * difference, "" when there is none (no best lap yet).
 */
export function parseSplit(text: string): { splitMs: number | null; splitLaps: number | null } {
  const laps = /^(\d+) laps?$/.exec(text.trim());
  if (laps) return { splitMs: null, splitLaps: Number(laps[1]) };
  return { splitMs: text ? parseGoDuration(text.trim()) : null, splitLaps: null };
}

/** JSON as Go's encoding/json writes it: `<`, `>`, `&` and the JS line separators escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A float32 field as Go prints it: the shortest decimal that reads back as the same float32. */
export function f32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const target = Math.fround(x);
  for (let p = 1; p < 9; p++) {
    const v = Number(target.toPrecision(p));
    if (Math.fround(v) === target) return v;
  }
  return target;
}
