import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Bus, createLogger, type Message } from '@acgateway/core';
import { FileMappingOpener, Rf2Source, type MappedRegion, type MappingOpener, type OpenResult, type ReadBuffer, type StatusMessage } from '@acgateway/plugin-rf2';
import { Rf2FileWriter } from '@acgateway/plugin-rf2/fake';
import { sleep, tempDir, until } from '@acgateway/testing';
import { field, openWith } from './helpers.js';

/**
 * The Windows reader cannot run here. What the poller does around it can: a section stays readable
 * while a handle is open, even after rF2 exits, and nothing tells the reader. These regions read real
 * files through an open descriptor (which also outlives an unlink) and, like a Windows view, never
 * report themselves gone.
 */
class SectionLikeOpener implements MappingOpener {
  readonly kind = 'windows' as const;
  opens = 0;
  private readonly files: FileMappingOpener;

  constructor(dir: string) {
    this.files = new FileMappingOpener({ dir, mode: 'read' });
  }

  describe(buffer: ReadBuffer): string {
    return this.files.describe(buffer);
  }

  open(buffer: ReadBuffer): OpenResult {
    this.opens++;
    const r = this.files.open(buffer);
    if (!r.ok) return r;
    const f = r.region;
    return {
      ok: true,
      region: { kind: 'windows', location: f.location, size: f.size, outlivesWriter: true, read: (d, l) => f.read(d, l), gone: () => undefined, close: () => f.close() },
    };
  }
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let source: Rf2Source | undefined;
let writer: Rf2FileWriter | undefined;
beforeEach(async () => {
  tmp = await tempDir('acgw-rf2-');
});
afterEach(async () => {
  await source?.stop();
  source = undefined;
  writer?.close();
  writer = undefined;
  await tmp.remove();
});

describe('poller around a mapping that outlives rF2 (the Windows case)', () => {
  it('reopens an idle view to notice that rF2 exited, without republishing while it runs', async () => {
    writer = openWith(new Rf2FileWriter({ dir: tmp.dir }));
    const bus = new Bus();
    const messages: Message[] = [];
    bus.subscribe('#', (m) => messages.push(m), { policy: 'queue', maxQueue: 100000 });
    const opener = new SectionLikeOpener(tmp.dir);
    source = new Rf2Source(
      { opener, logger: createLogger({ level: 'silent', pretty: false }), publish: (t, d, o) => void bus.publish(t, d, o), countBadInput: () => {}, now: () => Date.now() },
      { pollHz: 50, scoringHz: 5, vehiclesHz: 10, pedals: 'filtered', reopenIdleMs: 200 },
    );
    source.start();
    const statuses = () => messages.filter((m) => m.topic === 'rf2/status').map((m) => m.data as StatusMessage);
    const status = () => statuses().map((s) => s.state);
    await until('connected', () => status().includes('connected'));
    const telemetry = () => messages.filter((m) => m.topic === 'rf2/telemetry').length;
    const before = telemetry();
    const opens = opener.opens;
    await sleep(900); // rF2 paused: nothing changes
    expect(opener.opens - opens).toBeGreaterThanOrEqual(4); // both views reopened at least twice
    expect(telemetry()).toBe(before);
    expect(status().at(-1)).toBe('connected');
    writer.remove(); // rF2 exits: the open views would still read the old data
    await until('not running', () => status().at(-1) === 'not_running', 3000);
    expect(source.currentPlayer()).toBeUndefined();
    expect(statuses().at(-1)!.reason).toMatch(/\$rFactor2SMMP_(Telemetry|Scoring)\$ does not exist/);
  });
});

describe('work nobody listens to', () => {
  it('decodes every car for rf2/vehicles only while someone subscribes to it', async () => {
    writer = openWith(new Rf2FileWriter({ dir: tmp.dir }));
    const bus = new Bus();
    const seen: string[] = [];
    let vehiclesPublished = 0;
    bus.subscribe('rf2/telemetry', (m) => seen.push(m.topic));
    source = new Rf2Source(
      {
        opener: new FileMappingOpener({ dir: tmp.dir, mode: 'read' }),
        logger: createLogger({ level: 'silent', pretty: false }),
        publish: (t, d, o) => {
          if (t === 'rf2/vehicles') vehiclesPublished++;
          bus.publish(t, d, o);
        },
        countBadInput: () => {},
        now: () => Date.now(),
        hasSubscribers: (t) => bus.hasSubscribers(t),
      },
      { pollHz: 50, scoringHz: 5, vehiclesHz: 50, pedals: 'filtered', reopenIdleMs: 10_000 },
    );
    let vehicles = 0;
    source.start();
    await until('telemetry', () => seen.length > 0, 3000);
    await sleep(200);
    expect(vehiclesPublished).toBe(0);
    expect(bus.stats.published).toBeGreaterThan(0); // status and the player's telemetry still flow
    bus.subscribe('rf2/vehicles', () => vehicles++);
    // a changed frame is needed for a fresh copy: write the telemetry again
    writer.writeTelemetry(field().telemetry);
    await until('vehicles published', () => vehicles > 0, 3000);
    expect(vehiclesPublished).toBe(vehicles);
  });
});

describe('stopping', () => {
  it('lets a poll retrying a torn copy finish before closing the regions, and polls no more', async () => {
    writer = openWith(new Rf2FileWriter({ dir: tmp.dir }));
    writer.beginWrite('Telemetry'); // left mid-write: each take retries the copy, 1 ms apart
    const files = new FileMappingOpener({ dir: tmp.dir, mode: 'read' });
    let reads = 0;
    let readsAfterClose = 0;
    let closed = 0;
    let stopping: Promise<void> | undefined;
    const opener: MappingOpener = {
      kind: 'read',
      describe: (b) => files.describe(b),
      open(buffer) {
        const r = files.open(buffer);
        if (!r.ok) return r;
        const f = r.region;
        let isClosed = false;
        const region: MappedRegion = {
          kind: f.kind,
          location: f.location,
          size: f.size,
          outlivesWriter: false,
          gone: () => f.gone(),
          read(dest, len) {
            reads++;
            if (isClosed) readsAfterClose++;
            // The host stops the source while the poll waits to retry the torn telemetry copy.
            if (buffer === 'Telemetry' && !stopping) setImmediate(() => (stopping = Promise.resolve(source!.stop())));
            return f.read(dest, len);
          },
          close() {
            isClosed = true;
            closed++;
            f.close();
          },
        };
        return { ok: true, region };
      },
    };
    source = new Rf2Source(
      { opener, logger: createLogger({ level: 'silent', pretty: false }), publish: () => {}, countBadInput: () => {}, now: () => Date.now() },
      { pollHz: 50, scoringHz: 5, vehiclesHz: 10, pedals: 'filtered' },
    );
    source.start();
    await until('stop called mid-poll', () => stopping !== undefined);
    await stopping;
    expect(closed).toBe(2);
    expect(readsAfterClose).toBe(0);
    expect(source.counters().telemetry.tornTakes).toBe(1); // the poll ran its retries to the end
    const after = reads;
    await sleep(150);
    expect(reads).toBe(after);
  });
});
