/**
 * A made-up circuit for the simulator: a rounded rectangle with four corners of different radii, and
 * a speed profile a racing car could drive (corner speed from lateral grip, braking and acceleration
 * limits between corners). Pure: no I/O, no clock.
 */

interface Segment {
  start: number;
  length: number;
  /** Corner radius, m (undefined on a straight). Corners turn left (anticlockwise). */
  radius?: number;
  /** Where and which way the segment starts. */
  x: number;
  z: number;
  heading: number;
}

export interface TrackPoint {
  x: number;
  z: number;
  /** Heading, radians. */
  heading: number;
  /** 1/radius (0 on straights), 1/m. */
  curvature: number;
}

const LATERAL_GRIP = 24; // m/s², ~2.4 g with downforce
const BRAKING = 28; // m/s²
const TOP_SPEED = 84; // m/s, ~300 km/h
const STEP = 1; // m per profile sample

export class SimTrack {
  readonly length: number;
  private readonly segments: Segment[] = [];
  private readonly profile: Float64Array;

  constructor(width = 1100, height = 420, radii: readonly [number, number, number, number] = [35, 90, 150, 55]) {
    let x = 0;
    let z = 0;
    let heading = 0;
    let s = 0;
    const sides = [width, height, width, height];
    for (let i = 0; i < 4; i++) {
      const straight = sides[i]! - radii[(i + 3) % 4]! - radii[i]!;
      this.segments.push({ start: s, length: straight, x, z, heading });
      x += Math.cos(heading) * straight;
      z += Math.sin(heading) * straight;
      s += straight;
      const r = radii[i]!;
      const arc = (Math.PI / 2) * r;
      this.segments.push({ start: s, length: arc, radius: r, x, z, heading });
      // The end of a left-hand quarter circle.
      const cx = x - Math.sin(heading) * r;
      const cz = z + Math.cos(heading) * r;
      heading += Math.PI / 2;
      x = cx + Math.sin(heading) * r;
      z = cz - Math.cos(heading) * r;
      s += arc;
    }
    this.length = s;
    this.profile = this.buildProfile();
  }

  private buildProfile(): Float64Array {
    const n = Math.ceil(this.length / STEP);
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const k = this.at(i * STEP).curvature;
      v[i] = k > 0 ? Math.min(TOP_SPEED, Math.sqrt(LATERAL_GRIP / k)) : TOP_SPEED;
    }
    // Two laps around each way so the limits carry over the start line.
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 2 * n - 1; j >= 0; j--) {
        const i = j % n;
        const next = v[(i + 1) % n]!;
        v[i] = Math.min(v[i]!, Math.sqrt(next * next + 2 * BRAKING * STEP));
      }
      for (let j = 0; j < 2 * n; j++) {
        const i = j % n;
        const prev = v[(i - 1 + n) % n]!;
        const accel = 1 + 11 * (1 - prev / TOP_SPEED);
        v[i] = Math.min(v[i]!, Math.sqrt(prev * prev + 2 * accel * STEP));
      }
    }
    return v;
  }

  /** Target speed at distance s along the lap, m/s. */
  speedAt(s: number): number {
    const n = this.profile.length;
    const i = Math.floor(wrap(s, this.length) / STEP) % n;
    return this.profile[i]!;
  }

  /** Longitudinal acceleration the profile asks for at s, m/s². */
  accelAt(s: number): number {
    const v0 = this.speedAt(s);
    const v1 = this.speedAt(s + STEP);
    return (v1 * v1 - v0 * v0) / (2 * STEP);
  }

  at(s: number): TrackPoint {
    const d = wrap(s, this.length);
    let seg = this.segments[this.segments.length - 1]!;
    for (const g of this.segments) {
      if (d < g.start + g.length) {
        seg = g;
        break;
      }
    }
    const u = d - seg.start;
    if (!seg.radius) return { x: seg.x + Math.cos(seg.heading) * u, z: seg.z + Math.sin(seg.heading) * u, heading: seg.heading, curvature: 0 };
    const r = seg.radius;
    const cx = seg.x - Math.sin(seg.heading) * r;
    const cz = seg.z + Math.cos(seg.heading) * r;
    const heading = seg.heading + u / r;
    return { x: cx + Math.sin(heading) * r, z: cz - Math.cos(heading) * r, heading, curvature: 1 / r };
  }
}

export function wrap(s: number, length: number): number {
  const r = s % length;
  return r < 0 ? r + length : r;
}
