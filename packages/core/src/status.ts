import { z } from 'zod';
import type { Bus } from './bus.js';
import { defineTopic } from './topic-spec.js';
import type { Metrics, TopicStats } from './metrics.js';
import type { Clock } from './tokens.js';

/** The topic the host publishes its own status on (retained). */
export const STATUS_TOPIC = 'core/status';

/** One topic in `core/status`: its traffic since start and its rate over the last interval. */
export interface TopicStatus extends TopicStats {
  /** Messages per second over the last status interval. */
  rate: number;
}

const componentStatus = z.looseObject({ state: z.string() });
/** `core/status` as a contract: what `GET /health` says, plus every topic's traffic. */
export const coreStatusTopic = defineTopic(
  STATUS_TOPIC,
  z.object({
    status: z.string(),
    state: z.enum(['new', 'initialized', 'starting', 'running', 'stopping', 'stopped', 'failed']),
    version: z.string(),
    uptimeS: z.number(),
    plugins: z.array(
      z.object({
        name: z.string(),
        version: z.string().optional(),
        origin: z.string(),
        state: z.string(),
        error: z.string().optional(),
        sources: z.array(z.object({ name: z.string(), status: componentStatus.optional() })),
        endpoints: z.array(z.object({ name: z.string(), kind: z.string(), urls: z.array(z.string()), clients: z.number().optional(), status: componentStatus.optional() })),
        verbs: z.array(z.string()),
      }),
    ),
    topics: z.array(z.object({ topic: z.string(), count: z.number().int(), firstAt: z.number(), lastAt: z.number(), rate: z.number() })),
  }),
  { description: 'The host: plugins with their sources, endpoints and verbs (as GET /health), and every topic published since start with its rate', retained: true, rate: 'every server.statusIntervalMs (1 s), and once at stop' },
);


/**
 * Publishes `core/status` (retained) every `intervalMs`: the host's description and every topic's
 * count, first and last publish times and rate over the last interval. Cheap: one pass over the
 * topics the metrics already track, once a second; nothing runs per message.
 */
export class StatusPublisher<D extends object> {
  private timer: NodeJS.Timeout | undefined;
  private previous = new Map<string, number>();
  private previousAt = 0;

  constructor(
    private readonly bus: Bus,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
    private readonly describe: () => D,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.publish();
    this.timer = setInterval(() => this.publish(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and publishes the final status (state `stopped`). */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.publish();
  }

  /** The payload now; advances the rate window. */
  snapshot(): D & { topics: TopicStatus[] } {
    const now = this.clock.now();
    const seconds = this.previousAt ? Math.max(0.001, (now - this.previousAt) / 1000) : 0;
    const counts = new Map<string, number>();
    const topics = this.metrics.topicStats().map((t) => {
      counts.set(t.topic, t.count);
      const rate = seconds ? (t.count - (this.previous.get(t.topic) ?? 0)) / seconds : 0;
      return { ...t, rate: Math.round(rate * 10) / 10 };
    });
    topics.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    this.previous = counts;
    this.previousAt = now;
    return { ...this.describe(), topics };
  }

  private publish(): void {
    this.bus.publish(STATUS_TOPIC, this.snapshot(), { retain: true });
  }
}
