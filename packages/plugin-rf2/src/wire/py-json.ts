/**
 * JSON as Python's `json.dumps` writes it, for the seed's feed: a float always has a decimal point
 * or an exponent (`0.0`, `1.0`, `0.25`, `1e-05`), while JavaScript writes `0`, `1`, `0.00001`.
 * Clients that parse the feed with a typed reader (a float field) expect the float form.
 */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // JavaScript's shortest round-trip digits, then Python's repr rule: exponent form below 1e-4 and from 1e16.
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${negative ? '-' : ''}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  let fixed: string;
  if (exp < 0) fixed = `0.${'0'.repeat(-exp - 1)}${digits}`;
  else if (digits.length > exp + 1) fixed = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  else fixed = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${negative ? '-' : ''}${fixed}`;
}

/** The feed message as the seed's Python server sends it: its keys in order, `brake` and `throttle` as floats. */
export function encodeFeedJson(m: { driverName: string; vehicleName: string; place: number | null; gear: number | null; brake: number | null; throttle: number | null }): string {
  const float = (x: number | null) => (x === null ? 'null' : pyFloat(x));
  return `{"driverName":${JSON.stringify(m.driverName)},"vehicleName":${JSON.stringify(m.vehicleName)},"place":${JSON.stringify(m.place)},"gear":${JSON.stringify(m.gear)},"brake":${float(m.brake)},"throttle":${float(m.throttle)}}`;
}
