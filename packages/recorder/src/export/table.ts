import { TopicCatalog, type TopicSpec } from '@acgateway/core';

/** A column's type: declared by the topic's schema where it says, else seen in the values. */
export type ColumnKind = 'int' | 'number' | 'boolean' | 'string' | 'json';

/** A cell: a scalar, or an array kept whole (a car's leaderboard is one cell; CSV writes it as JSON text, Parquet as a JSON column). */
export type Cell = string | number | boolean | null | readonly unknown[];
export type Row = Record<string, Cell>;

/** A payload as one flat row: nested fields as `a.b`, arrays whole, a payload that is not an object as `value`. */
export function flatten(data: unknown, row: Row = {}, prefix = ''): Row {
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    for (const [k, v] of Object.entries(data)) flatten(v, row, prefix ? `${prefix}.${k}` : k);
    return row;
  }
  const key = prefix || 'value';
  if (data === undefined || data === null) row[key] = null;
  else if (Array.isArray(data)) row[key] = data;
  else if (typeof data === 'number') row[key] = Number.isFinite(data) ? data : null;
  else if (typeof data === 'string' || typeof data === 'boolean') row[key] = data;
  else row[key] = String(data);
  return row;
}

interface ZodLike {
  def: { type: string; innerType?: ZodLike; options?: ZodLike[]; shape?: Record<string, ZodLike>; values?: unknown[] };
  shape?: Record<string, ZodLike>;
  isInt?: boolean;
}

/** What a zod schema says a flattened path holds, or undefined when it does not say. */
export function declaredKind(schema: unknown, path: string[]): ColumnKind | undefined {
  let s = schema as ZodLike | undefined;
  for (const key of path) {
    s = unwrap(s);
    const shape = s?.shape ?? s?.def.shape;
    if (!s || s.def.type !== 'object' || !shape) return undefined;
    s = shape[key];
  }
  return leafKind(unwrap(s));
}

function unwrap(s: ZodLike | undefined): ZodLike | undefined {
  while (s && ['nullable', 'optional', 'default', 'prefault', 'readonly'].includes(s.def.type)) s = s.def.innerType;
  return s;
}

function leafKind(s: ZodLike | undefined): ColumnKind | undefined {
  if (!s) return undefined;
  switch (s.def.type) {
    case 'number':
      return s.isInt ? 'int' : 'number';
    case 'string':
    case 'enum':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'array':
      return 'json';
    case 'literal': {
      const v = s.def.values?.[0];
      return typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'boolean' : typeof v === 'number' ? 'number' : undefined;
    }
    case 'union': {
      // float = number | NaN | ±Infinity: a number.
      const kinds = new Set((s.def.options ?? []).map((o) => (o.def.type === 'nan' ? 'number' : leafKind(unwrap(o)))));
      if (kinds.size === 1) return [...kinds][0];
      if ([...kinds].every((k) => k === 'int' || k === 'number')) return 'number';
      return undefined;
    }
    default:
      return undefined;
  }
}

interface ColumnStats {
  seen: ColumnKind | undefined;
  mixed: boolean;
  fitsInt32: boolean;
}

/** The columns of one topic's table, in order of first appearance, with what their values were. */
export class TopicTable {
  readonly columns = new Map<string, ColumnStats>();
  rows = 0;

  constructor(
    readonly topic: string,
    private readonly schema: unknown,
  ) {}

  add(row: Row): void {
    this.rows++;
    for (const [k, v] of Object.entries(row)) {
      let c = this.columns.get(k);
      if (!c) this.columns.set(k, (c = { seen: undefined, mixed: false, fitsInt32: true }));
      if (v === null) continue;
      const kind: ColumnKind = typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'number') : typeof v === 'boolean' ? 'boolean' : typeof v === 'string' ? 'string' : 'json';
      if (typeof v === 'number' && (!Number.isInteger(v) || v > 2147483647 || v < -2147483648)) c.fitsInt32 = false;
      if (c.seen === undefined) c.seen = kind;
      else if (c.seen !== kind) {
        if ((c.seen === 'int' && kind === 'number') || (c.seen === 'number' && kind === 'int')) c.seen = 'number';
        else c.mixed = true;
      }
    }
  }

  /** Each column's type: the declaration's, unless the values do not fit it; else what the values were. */
  kinds(): Map<string, ColumnKind> {
    const out = new Map<string, ColumnKind>();
    for (const [name, c] of this.columns) {
      const declared = name === 't_ms' ? 'number' : name === 'ts' ? 'number' : declaredKind(this.schema, name.split('.'));
      let kind: ColumnKind = c.mixed ? 'string' : (declared ?? c.seen ?? 'string');
      if (kind === 'int' && !c.fitsInt32) kind = 'number';
      if ((kind === 'int' || kind === 'number') && c.seen && c.seen !== 'int' && c.seen !== 'number') kind = 'string';
      if (kind === 'boolean' && c.seen && c.seen !== 'boolean') kind = 'string';
      out.set(name, kind);
    }
    return out;
  }
}

/** The declarations the export types its columns by (core's catalog: a topic finds its pattern's schema). */
export function catalogOf(declarations: readonly TopicSpec[]): TopicCatalog {
  const catalog = new TopicCatalog();
  catalog.add('export', declarations);
  return catalog;
}

/** `acudp/car_update` -> `acudp.car_update`: a file name for a topic. */
export function topicFileName(topic: string): string {
  return topic.replace(/\//g, '.').replace(/[^\w.+-]/g, '_');
}
