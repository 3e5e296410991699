import { CommandError } from '@acgateway/core';
import type { AcwsEvents, GridEvent } from './events.js';
import { entryListDoc } from './wire/entry-list.js';
import { buildGrid, ResultsError, slotLabel, type GridMode, type GridSlot } from './wire/results-json.js';
import type { ServerConfig } from './server-config.js';
import type { ServerFiles, WrittenFile } from './server-files.js';

/**
 * The grid for the next race: ordered from the newest race result (`grid finish`/`grid reverse`),
 * shown (`grid order`), saved as cfg/entry_list_new.ini (`grid save`), which the next start applies.
 */
export class Grid {
  private current: { mode: GridMode; source: string; slots: GridSlot[] } | undefined;

  constructor(
    private readonly files: ServerFiles,
    private readonly config: ServerConfig,
    private readonly events: AcwsEvents,
    private readonly onBadInput: (kind: string, message: string) => void,
  ) {}

  private numbered(): Record<string, string> {
    const out: Record<string, string> = {};
    this.current?.slots.forEach((s, i) => (out[String(i + 1)] = slotLabel(s.keys)));
    return out;
  }

  async compute(mode: GridMode): Promise<{ msg: string; grid: Record<string, string>; source: string }> {
    const file = await this.files.newestRaceResultFile();
    if (!file) {
      throw new CommandError('NO_RESULTS', `Unable to parse results file - no file exists (no *_RACE.json in ${this.files.rel(this.files.resultsDir)}/ yet: run a race first)`);
    }
    const rel = this.files.rel(file);
    const result = await this.files.readRaceResult(file);
    const { view } = await this.config.current();
    const { entries } = await this.files.readEntryList();
    let slots: GridSlot[];
    try {
      slots = buildGrid(result, entries, mode, { track: view.track, configTrack: view.config_track });
    } catch (err) {
      if (err instanceof ResultsError) {
        this.onBadInput('results-other-track', err.message);
        throw new CommandError('RESULTS_MISMATCH', `${rel} parse FAILURE: ${err.message}`);
      }
      throw err;
    }
    this.current = { mode, source: rel, slots };
    this.events.emit('grid', this.describe());
    return { msg: `${rel} parse SUCCESS`, grid: this.numbered(), source: rel };
  }

  private describe(): GridEvent {
    const c = this.current!;
    return {
      mode: c.mode,
      source: c.source,
      order: c.slots.map((s, i) => ({
        position: i + 1,
        name: s.keys.get('DRIVERNAME') ?? '',
        guid: s.keys.get('GUID') ?? '',
        model: s.keys.get('MODEL') ?? '',
        from_slot: s.fromSlot,
        finished: s.finished,
      })),
    };
  }

  private need(verb: string): NonNullable<Grid['current']> {
    if (!this.current) throw new CommandError('NO_GRID', `${verb}: no grid yet: run "grid finish" or "grid reverse" first`);
    return this.current;
  }

  /** The grid computed last; before any `grid finish`/`grid reverse`, the entry list's own order (as the original). */
  async order(): Promise<{ grid: Record<string, string>; mode: GridMode | 'entry_list'; source: string }> {
    const c = this.current;
    if (c) return { grid: this.numbered(), mode: c.mode, source: c.source };
    const { entries } = await this.files.readEntryList();
    const grid: Record<string, string> = {};
    entries.forEach((e, i) => (grid[String(i + 1)] = slotLabel(e.keys)));
    return { grid, mode: 'entry_list', source: this.files.rel(this.files.entryList) };
  }

  /** The entry list as it is now, in slot order: `<model><drivername> (<guid>)`, no space between, as the original writes it. */
  async entries(): Promise<{ entries: Record<string, string> }> {
    const { entries } = await this.files.readEntryList();
    const out: Record<string, string> = {};
    entries.forEach((e, i) => {
      const model = e.keys.get('MODEL') ?? '';
      const name = e.keys.get('DRIVERNAME') ?? '';
      const guid = e.keys.get('GUID') ?? '';
      out[String(i + 1)] = `${model}${name} (${guid})`;
    });
    return { entries: out };
  }

  async save(): Promise<{ msg: string } & WrittenFile> {
    const c = this.need('grid save');
    let written: WrittenFile;
    try {
      written = await this.files.writeEntryListNew(entryListDoc(c.slots.map((s) => s.keys)));
    } catch (err) {
      throw new CommandError('WRITE_FAILED', `entry_list.ini file update FAILURE: ${(err as Error).message}`);
    }
    return { msg: 'entry_list_new.ini file update SUCCESS', ...written };
  }
}
