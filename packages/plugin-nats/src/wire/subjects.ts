/**
 * Bus topics and NATS subjects. A message exported by node `track1` on `acudp/lap_completed` travels
 * as `acg.track1.acudp.lap_completed` and arrives on other buses as `track1/acudp/lap_completed`.
 * A level NATS cannot carry (one with `.`, `*`, `>`, whitespace or `%`, or an empty one) is
 * percent-escaped, reversibly: `a.b` -> `a%2Eb`, `` -> `%`.
 */
export const ROOT = 'acg';

const UNSAFE = /[.*>%\s]/g;

export function escapeLevel(level: string): string {
  if (level === '') return '%';
  return level.replace(UNSAFE, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function unescapeLevel(token: string): string {
  if (token === '%') return '';
  return token.replace(/%([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** `acg.<node>.<levels>` for a local topic. */
export function subjectOf(node: string, topic: string): string {
  return [ROOT, escapeLevel(node), ...topic.split('/').map(escapeLevel)].join('.');
}

/** `{ node, topic }` of an exported subject; undefined for anything else. */
export function parseSubject(subject: string): { node: string; topic: string } | undefined {
  const tokens = subject.split('.');
  if (tokens.length < 3 || tokens[0] !== ROOT) return undefined;
  return { node: unescapeLevel(tokens[1]!), topic: tokens.slice(2).map(unescapeLevel).join('/') };
}

/**
 * The NATS subject filter for an import pattern over `<node>/<topic>` (MQTT syntax):
 * `+/acudp/#` -> `acg.*.acudp.>`. `#` alone is everything (`acg.>`).
 */
export function subjectFilter(pattern: string): string {
  return [ROOT, ...pattern.split('/').map((l) => (l === '+' ? '*' : l === '#' ? '>' : escapeLevel(l)))].join('.');
}

/** The KV key of a retained value: the subject without the root (KV keys are dot-separated too). */
export function kvKeyOf(node: string, topic: string): string {
  return subjectOf(node, topic).slice(ROOT.length + 1);
}

export function parseKvKey(key: string): { node: string; topic: string } | undefined {
  return parseSubject(`${ROOT}.${key}`);
}

/** The subject a node answers commands on. */
export function commandSubject(node: string): string {
  return `${ROOT}-cmd.${escapeLevel(node)}`;
}

/** Headers on every exported message. */
export const H = { origin: 'acg-origin', ts: 'acg-ts', key: 'acg-key', hops: 'acg-hops', retain: 'acg-retain', clear: 'acg-clear' } as const;
