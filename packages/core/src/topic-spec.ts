import type { z } from 'zod';
import { compilePattern, validatePattern, type TopicMatcher } from './topics.js';

/**
 * A topic as a contract: its pattern (a topic, or a family such as `emperor/+/session`), the zod
 * schema of its payload, whether it is retained, how often it comes and what it is. Plugins list
 * theirs in `definePlugin({ topics })`; the host can check every payload against them
 * (`validateTopics`, on in the test kit), and tools (docs, the client SDK's types, AsyncAPI) read them.
 */
export interface TopicSpec<S extends z.ZodType = z.ZodType, P extends string = string> {
  readonly pattern: P;
  readonly schema: S;
  readonly retained: boolean;
  /** How often, in words: "per completed lap", "5 Hz", "once at start". */
  readonly rate?: string;
  readonly description: string;
}

/** The payload type of a declared topic: `TopicData<typeof lapCompleted>`. */
export type TopicData<T> = T extends TopicSpec<infer S> ? z.output<S> : never;

/**
 * Compile-time: a zod schema and a hand-written type describe the same values. A plugin whose
 * decoder has its own types keeps the two in step with `true satisfies SchemaIs<typeof schema, Type>;`.
 */
export type SchemaIs<S extends z.ZodType, T> = [z.output<S>] extends [T] ? ([T] extends [z.output<S>] ? true : false) : false;

/**
 * Declared topics as a map from pattern to payload type, for a typed client:
 * `connect<TopicMap<typeof acudpTopics>>(url).subscribe('acudp/lap_completed', (m) => m.data.lapTimeMs)`.
 */
export type TopicMap<T extends Record<string, TopicSpec<z.ZodType, string>>> = { [K in keyof T as T[K]['pattern']]: TopicData<T[K]> };

export function defineTopic<S extends z.ZodType, P extends string>(pattern: P, schema: S, meta: { description: string; retained?: boolean; rate?: string }): TopicSpec<S, P> {
  const bad = validatePattern(pattern);
  if (bad) throw new TypeError(`defineTopic("${pattern}"): ${bad}`);
  return Object.freeze({ pattern, schema, retained: meta.retained ?? false, rate: meta.rate, description: meta.description });
}

/** One payload that does not match its declaration. */
export interface TopicViolation {
  topic: string;
  plugin: string;
  pattern: string;
  problems: string;
}

/** Every plugin's declarations, and the check of a payload against the one its topic falls under. */
export class TopicCatalog {
  private readonly entries: Array<{ plugin: string; spec: TopicSpec; match: TopicMatcher }> = [];

  add(plugin: string, specs: readonly TopicSpec[]): void {
    for (const spec of specs) this.entries.push({ plugin, spec, match: compilePattern(spec.pattern) });
  }

  list(): Array<{ plugin: string; spec: TopicSpec }> {
    return this.entries.map(({ plugin, spec }) => ({ plugin, spec }));
  }

  /** The declaration a topic falls under (the plugin's own first), or undefined. */
  find(topic: string, publisher?: string): { plugin: string; spec: TopicSpec } | undefined {
    return this.entries.find((e) => e.plugin === publisher && e.match(topic)) ?? this.entries.find((e) => e.match(topic));
  }

  /** Checks a payload; undefined when it matches or its topic is not declared. */
  check(topic: string, data: unknown, publisher?: string): TopicViolation | undefined {
    const found = this.find(topic, publisher);
    if (!found) return undefined;
    const r = found.spec.schema.safeParse(data);
    if (r.success) return undefined;
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
    return { topic, plugin: found.plugin, pattern: found.spec.pattern, problems };
  }
}
