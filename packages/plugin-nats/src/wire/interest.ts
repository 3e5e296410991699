/**
 * Topic patterns (MQTT syntax: `+` one level, `#` the rest) as sets of topics: what a local
 * subscriber wants of what the bridge may import, so a gateway asks NATS only for that.
 */

/** The pattern matching exactly the topics both match; undefined when they share none. */
export function intersectPatterns(a: string, b: string): string | undefined {
  const out = intersect(a.split('/'), b.split('/'));
  return out && out.join('/');
}

function intersect(a: string[], b: string[]): string[] | undefined {
  if (a[0] === '#') return b;
  if (b[0] === '#') return a;
  if (a.length === 0 || b.length === 0) return a.length === b.length ? [] : undefined;
  const [x, ...ra] = a;
  const [y, ...rb] = b;
  let level: string;
  if (x === '+') level = y!;
  else if (y === '+' || x === y) level = x!;
  else return undefined;
  const rest = intersect(ra, rb);
  return rest && [level, ...rest];
}

/** Whether every topic `narrow` matches is matched by `wide`. */
export function covers(wide: string, narrow: string): boolean {
  return intersectPatterns(wide, narrow) === narrow;
}

/**
 * The import patterns worth subscribing to for these local subscriptions: each local pattern cut
 * down to what `imports` allow, without the ones another already covers (a subject in two NATS
 * subscriptions of one connection would be delivered twice).
 */
export function wantedImports(imports: readonly string[], local: readonly string[]): string[] {
  const all = new Set<string>();
  for (const i of imports) for (const l of local) {
    const p = intersectPatterns(i, l);
    if (p !== undefined) all.add(p);
  }
  const list = [...all];
  return list.filter((p, i) => !list.some((q, j) => j !== i && covers(q, p) && (!covers(p, q) || j < i)));
}
