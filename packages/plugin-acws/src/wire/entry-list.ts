import type { IniDoc } from './ac-ini.js';

/** One `[CAR_<n>]` section, every key kept (FIXED_SETUP, AI ... which the original dropped). */
export interface Entry {
  slot: number;
  keys: Map<string, string>;
}

/** The keys the original shows, in the order it writes them. */
export const ENTRY_KEYS = ['MODEL', 'SKIN', 'SPECTATOR_MODE', 'DRIVERNAME', 'TEAM', 'GUID', 'BALLAST', 'RESTRICTOR'] as const;

export interface EntryView {
  car_id: string;
  model: string;
  skin: string;
  spectator_mode: string;
  drivername: string;
  team: string;
  guid: string;
  ballast: string;
  restrictor: string;
}

const CAR_SECTION = /^CAR_(\d+)$/;

/** The entries in file order; sections other than CAR_<n> are not entries. */
export function readEntries(doc: IniDoc): Entry[] {
  const out: Entry[] = [];
  for (const [name, keys] of doc) {
    const m = CAR_SECTION.exec(name);
    if (m) out.push({ slot: Number(m[1]), keys: new Map(keys) });
  }
  return out;
}

export function viewEntry(e: Entry): EntryView {
  const g = (k: string) => e.keys.get(k) ?? '';
  return {
    car_id: `CAR_${e.slot}`,
    model: g('MODEL'),
    skin: g('SKIN'),
    spectator_mode: g('SPECTATOR_MODE'),
    drivername: g('DRIVERNAME'),
    team: g('TEAM'),
    guid: g('GUID'),
    ballast: g('BALLAST'),
    restrictor: g('RESTRICTOR'),
  };
}

/** `server entries`: keyed by slot number as a string. */
export function viewEntries(entries: readonly Entry[]): Record<string, EntryView> {
  const out: Record<string, EntryView> = {};
  for (const e of entries) out[String(e.slot)] = viewEntry(e);
  return out;
}

/**
 * A new entry list in the given order, renumbered from CAR_0 (pole). The known keys come first in
 * the original's order; every other key of the slot follows unchanged.
 */
export function entryListDoc(ordered: ReadonlyArray<Map<string, string>>): IniDoc {
  const doc: IniDoc = new Map();
  ordered.forEach((keys, i) => {
    const section = new Map<string, string>();
    for (const k of ENTRY_KEYS) section.set(k, keys.get(k) ?? '');
    for (const [k, v] of keys) if (!section.has(k)) section.set(k, v);
    doc.set(`CAR_${i}`, section);
  });
  return doc;
}
