import type { Vec3 } from '../wire/types.js';

/**
 * A closed track centre line for the fake server: a bent oval about 2.3 km long, parametrised by
 * the normalized spline position s in [0, 1).
 */
export function trackPoint(s: number): Vec3 {
  const t = 2 * Math.PI * s;
  return { x: 400 * Math.cos(t), y: 5 * Math.sin(3 * t), z: 250 * Math.sin(t) + 60 * Math.sin(2 * t) };
}

/** d(position)/ds, metres per unit of s. */
export function trackTangent(s: number): Vec3 {
  const t = 2 * Math.PI * s;
  const k = 2 * Math.PI;
  return { x: -400 * k * Math.sin(t), y: 15 * k * Math.cos(3 * t), z: (250 * Math.cos(t) + 120 * Math.cos(2 * t)) * k };
}

/** Velocity in m/s of a car at s doing one lap every `lapMs`. */
export function trackVelocity(s: number, lapMs: number): Vec3 {
  const d = trackTangent(s);
  const perSecond = 1000 / lapMs;
  return { x: d.x * perSecond, y: d.y * perSecond, z: d.z * perSecond };
}

/** Gear (AC numbering: 0 R, 1 N, 2 first) and engine rpm for a speed in m/s. */
export function gearAndRpm(speedMs: number): { gear: number; engineRpm: number } {
  if (speedMs < 0.5) return { gear: 1, engineRpm: 900 };
  const band = 13;
  const g = Math.min(6, Math.floor(speedMs / band));
  const within = (speedMs - g * band) / band;
  return { gear: 2 + g, engineRpm: Math.round(4500 + Math.min(1, within) * 7500) };
}
