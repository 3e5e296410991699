import { connect, type Gateway } from '@acgateway/client';
import { RecordingWriter, type WriterOptions, type WriterStats } from './writer.js';
import { pluginsOf } from './naming.js';
import { RECORDER_VERSION } from './version.js';

export interface GatewayRecordOptions extends WriterOptions {
  url: string;
  token?: string;
  topics: string[];
  out: string;
  /** Stop after this long (ms); default: until `stop()`. */
  durationMs?: number;
  /** Told of problems as they happen (dropped frames, disconnects). */
  onProblem?: (message: string) => void;
}

export interface GatewayRecordSummary extends WriterStats {
  /** Messages the gateway dropped for this connection: a recording with gaps. */
  dropped: number;
  /** Times the connection was lost (each a gap in the recording). */
  disconnects: number;
}

/**
 * Records a running gateway over its websocket (`queue` policy: in order, and any `dropped` frame is
 * counted and reported: the recording then has gaps and the summary says so).
 */
export class GatewayRecorder {
  private readonly gw: Gateway;
  private readonly writer: RecordingWriter;
  private status: unknown;
  private dropped = 0;
  private disconnects = 0;
  private done: (() => void) | undefined;
  private readonly finished: Promise<void>;
  private timer: NodeJS.Timeout | undefined;
  version = '';

  constructor(private readonly options: GatewayRecordOptions) {
    this.gw = connect(options.url, { token: options.token, reconnect: true, maxDelayMs: 2000 });
    this.writer = new RecordingWriter(options.out, () => ({ gateway: { version: this.version, url: options.url }, plugins: pluginsOf(this.status), topics: options.topics, recorder: `acgateway record (@acgateway/recorder ${RECORDER_VERSION})` }), options);
    this.finished = new Promise((resolve) => (this.done = resolve));
  }

  get stats(): WriterStats {
    return this.writer.stats;
  }

  /** Connects and subscribes; resolves once the gateway confirmed the subscription. */
  async start(): Promise<void> {
    const problem = this.options.onProblem ?? (() => {});
    this.gw.on('open', (w) => (this.version = w.version));
    this.gw.on('dropped', (d) => {
      this.dropped += d.count;
      problem(`the gateway dropped ${d.count} message(s) for this recorder (${d.reason}): the recording has a gap`);
    });
    this.gw.on('close', (c) => {
      if (c.retryInMs === undefined) return;
      this.disconnects++;
      problem(`connection lost (${c.code}${c.reason ? ` ${c.reason}` : ''}): reconnecting in ${c.retryInMs} ms; messages until then are missing`);
    });
    // The status names the plugins and their versions for the file's header.
    this.gw.subscribe('core/status', (m) => (this.status = m.data));
    const sub = this.gw.subscribe(
      this.options.topics,
      (m) => {
        try {
          this.writer.write({ topic: m.topic, ts: m.ts, data: JSON.stringify(m.data ?? null), retained: m.retained === true });
        } catch (err) {
          problem(`recording stopped: ${(err as Error).message}`);
          this.stop();
        }
      },
      { policy: 'queue' },
    );
    await this.gw.ready();
    await sub.ready;
    if (this.options.durationMs) {
      this.timer = setTimeout(() => this.stop(), this.options.durationMs);
    }
  }

  /** Resolves when the recording has stopped (by `stop()` or `durationMs`). */
  wait(): Promise<void> {
    return this.finished;
  }

  stop(): GatewayRecordSummary {
    clearTimeout(this.timer);
    this.gw.close();
    const s = this.writer.close();
    this.done?.();
    return { ...s, dropped: this.dropped, disconnects: this.disconnects };
  }
}
