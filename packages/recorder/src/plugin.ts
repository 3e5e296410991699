import path from 'node:path';
import { API_VERSION, CORE_VERSION, coreServices, definePlugin, STATUS_TOPIC, z, type PluginApi, type Source, type Subscription } from '@acgateway/core';
import { RecordingReader } from './reader.js';
import { parseOffset, Replayer } from './replay.js';
import { RecordingWriter, SESSION_TOPICS } from './writer.js';
import { pluginsOf, recordingFileName } from './naming.js';

import { RECORDER_VERSION as version } from './version.js';

const pattern = z.string().min(1);

export const recordSchema = z
  .object({
    /** The file; `{time}` becomes the start time (`20261205-143000`). Relative: from the config's folder. A file never gets overwritten. */
    file: z.string().min(1).default('recordings/acgateway-{time}.acgrec'),
    topics: z.array(pattern).min(1).default(['#']),
    /** Chunk size and the longest a message waits in memory (what a crash can lose). */
    chunkBytes: z.number().int().min(1024).default(256 * 1024),
    flushMs: z.number().int().positive().default(1000),
    keyframeMs: z.number().int().positive().default(30_000),
    compress: z.boolean().default(true),
    /** Bytes per file (0 = no limit); `rotate` says what happens there. */
    maxBytes: z.number().int().min(0).default(0),
    rotate: z.enum(['size', 'session', 'none']).default('size'),
    sessionTopics: z.array(pattern).default(SESSION_TOPICS),
    /** Keep at most this many files of a rotating recording (0 = all). */
    maxFiles: z.number().int().min(0).default(0),
  })
  .strict();

export const replaySchema = z
  .object({
    /** An `.acgrec` recording. Relative: from the config's folder. */
    file: z.string().min(1),
    speed: z.union([z.number().positive(), z.literal('max')]).default(1),
    loop: z.boolean().default(false),
    /** Where to start: `00:12:30`, `12:30` or seconds. */
    from: z.union([z.string(), z.number().nonnegative()]).default(0),
    topics: z.array(pattern).default(['#']),
    exclude: z.array(pattern).default(['core/#']),
    timestamps: z.enum(['now', 'original']).default('now'),
  })
  .strict();

export const optionsSchema = z
  .object({ record: recordSchema.optional(), replay: replaySchema.optional() })
  .strict()
  .refine((o) => o.record || o.replay, 'set record (record the bus to a file), replay (publish a recording), or both');

export type RecorderOptions = z.output<typeof optionsSchema>;
export type RecordOptions = z.output<typeof recordSchema>;
export type ReplayConfig = z.output<typeof replaySchema>;

const deps = { bus: coreServices.bus };
type Api = PluginApi<typeof deps>;

/** Records the bus from inside the host: every message on `topics`, ordered, none dropped. */
export class BusRecorder implements Source {
  readonly name = 'record';
  private writer: RecordingWriter | undefined;
  private sub: Subscription | undefined;
  private dropped = 0;
  private error: string | undefined;

  constructor(
    private readonly api: Api,
    private readonly options: RecordOptions,
  ) {}

  start(): void {
    const file = recordingFileName(path.resolve(this.api.configDir, this.options.file), new Date());
    const bus = this.api.deps.bus;
    this.writer = new RecordingWriter(file, () => ({ gateway: { version: CORE_VERSION }, plugins: pluginsOf(bus.last(STATUS_TOPIC)?.data), topics: this.options.topics, recorder: `@acgateway/recorder ${version} (in the host)` }), this.options);
    this.sub = bus.subscribe(
      this.options.topics,
      (m) => {
        if (!this.writer) return;
        try {
          this.writer.write({ topic: m.topic, ts: m.ts, data: JSON.stringify(m.data ?? null), retained: m.retain === true });
        } catch (err) {
          this.fail(err);
        }
      },
      {
        policy: 'queue',
        maxQueue: 100_000,
        onDrop: () => {
          this.dropped++;
          if (this.dropped === 1 || this.dropped % 1000 === 0) this.api.logger.error({ dropped: this.dropped }, 'recorder: messages dropped before they reached the file (the recording has gaps)');
        },
      },
    );
    this.api.logger.info({ file, topics: this.options.topics }, 'recording the bus');
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
    const w = this.writer;
    this.writer = undefined;
    if (!w) return;
    const s = w.close();
    this.api.logger.info({ files: s.files, records: s.records, bytes: s.bytes, dropped: this.dropped }, 'recording closed');
  }

  status() {
    const s = this.writer?.stats;
    return { state: this.error ? 'failed' : this.writer ? 'recording' : 'stopped', error: this.error, files: s?.files ?? [], records: s?.records ?? 0, bytes: s?.bytes ?? 0, dropped: this.dropped };
  }

  private fail(err: unknown): void {
    this.error = (err as Error).message;
    this.api.logger.error({ err }, 'recorder: the recording stopped');
    this.sub?.unsubscribe();
    this.sub = undefined;
    this.writer = undefined;
  }
}

/** Publishes a recording on the bus as if its sources were live. */
export class BusReplay implements Source {
  readonly name = 'replay';
  private reader: RecordingReader | undefined;
  private replayer: Replayer | undefined;
  private running: Promise<unknown> | undefined;
  private error: string | undefined;

  constructor(
    private readonly api: Api,
    private readonly options: ReplayConfig,
  ) {}

  async start(): Promise<void> {
    const file = path.resolve(this.api.configDir, this.options.file);
    const fromMs = typeof this.options.from === 'number' ? this.options.from * 1000 : parseOffset(this.options.from);
    this.reader = await RecordingReader.open(file);
    if (fromMs > this.reader.durationMs) {
      await this.reader.close();
      throw new Error(`replay: from ${Math.round(fromMs / 1000)} s is past the end of ${file} (${Math.round(this.reader.durationMs / 1000)} s long)`);
    }
    if (this.reader.partialTailBytes) this.api.logger.warn({ file, bytes: this.reader.partialTailBytes }, 'recording ends in a partial chunk (the recorder was stopped hard): replaying what came before it');
    this.replayer = new Replayer(
      this.reader,
      (m, data) => this.api.publish(m.topic, data, { ts: m.ts, retain: m.retained }),
      { ...this.options, fromMs },
      (m, err) => {
        this.api.countBadInput('replay_record');
        this.api.logger.warn({ topic: m.topic, t: m.t }, `replay: a record's data is not JSON (${err.message}): skipped`);
      },
    );
    this.api.logger.info({ file, durationS: Math.round(this.reader.durationMs / 1000), speed: this.options.speed, loop: this.options.loop }, 'replaying a recording');
    this.running = this.replayer.run().then(
      (s) => this.api.logger.info({ published: s.published, loops: s.loops }, 'replay finished'),
      (err: Error) => {
        this.error = err.message;
        this.api.logger.error({ err }, 'replay failed');
      },
    );
  }

  async stop(): Promise<void> {
    this.replayer?.stop();
    await this.running;
    await this.reader?.close();
    this.reader = undefined;
  }

  status() {
    const s = this.replayer?.stats;
    return { state: this.error ? 'failed' : s?.done ? 'finished' : 'replaying', error: this.error, file: this.options.file, published: s?.published ?? 0, loops: s?.loops ?? 0, positionS: Math.round((s?.positionMs ?? 0) / 1000) };
  }
}

/**
 * `@acgateway/recorder`: `record` the bus to an `.acgrec` file from inside the host, `replay` one as a
 * source. Both, or either.
 */
export const recorder = definePlugin({
  name: 'recorder',
  apiVersion: API_VERSION,
  version,
  description: 'Record the bus to a compressed, indexed .acgrec file; replay one as a live source',
  options: optionsSchema,
  deps,
  apply(api, options) {
    if (options.record) api.addSource(new BusRecorder(api, options.record));
    if (options.replay) api.addSource(new BusReplay(api, options.replay));
  },
});

export default recorder;
