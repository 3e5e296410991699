import { distance as editDistance } from 'fastest-levenshtein';
import { CommandError, errorMessage } from '../errors.js';
import { tokenize } from './parse.js';

export type ArgType = 'string' | 'int' | 'number' | 'boolean';

export interface ArgSpec {
  name: string;
  /** Default 'string'. */
  type?: ArgType;
  /** The value must be one of these (compared case-insensitively for strings; the canonical spelling is passed on). */
  choices?: readonly string[];
  optional?: boolean;
  /** Takes the rest of the words, joined by single spaces (a chat text). Last argument only. */
  rest?: boolean;
  min?: number;
  max?: number;
  help?: string;
}

/** Who sent a command. `read` callers may only run verbs whose access is `read`. */
export interface Caller {
  /** e.g. 'gateway', 'acws', 'cli', 'test'. */
  endpoint: string;
  role: 'admin' | 'read';
  /** Remote address, if any. */
  remote?: string;
  /** A connection id, for audit logs. */
  id?: string;
  /** Who the client said it is (e.g. a logon name), for audit logs. */
  user?: string;
}

export interface CommandContext {
  verb: string;
  args: Record<string, unknown>;
  /** The words after the verb, as sent. */
  words: string[];
  caller: Caller;
}

export interface CommandSpec {
  /** One or more words: `server info`, `grid reverse`, `ac chat`. */
  verb: string;
  args?: readonly ArgSpec[];
  help: string;
  /** `read` verbs only look; `write` verbs change something (default, the safe side). */
  access?: 'read' | 'write';
  handler(ctx: CommandContext): unknown | Promise<unknown>;
}

export interface RegisteredCommand extends CommandSpec {
  plugin: string;
  words: string[];
}

/** A structured call: what the gateway websocket and the CLI send, after parsing. */
export interface CommandCall {
  verb: string;
  args: Record<string, unknown>;
  words: string[];
  line: string;
  caller: Caller;
  command: RegisteredCommand;
}

/**
 * Verbs sort by code point, not `localeCompare`: its first call maps ICU's collation data, about
 * 2 MiB of resident memory for as long as the gateway runs, to order words that are ASCII.
 */
const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function usage(cmd: Pick<CommandSpec, 'verb' | 'args'>): string {
  const parts = [cmd.verb];
  for (const a of cmd.args ?? []) {
    let name = a.choices ? a.choices.join('|') : a.name;
    if (a.rest) name += '...';
    parts.push(a.optional ? `[${name}]` : `<${name}>`);
  }
  return parts.join(' ');
}

/** The registry of multi-word verbs. Lookup takes the longest registered verb that prefixes the line. */
export class CommandRegistry {
  private readonly byVerb = new Map<string, RegisteredCommand>();
  private maxWords = 1;

  register(plugin: string, spec: CommandSpec): RegisteredCommand {
    const words = spec.verb.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) throw new CommandError('BAD_SPEC', `plugin "${plugin}" registered a command with an empty verb`);
    const verb = words.join(' ');
    const existing = this.byVerb.get(verb);
    if (existing) {
      throw new CommandError('DUPLICATE_VERB', `verb "${verb}" of plugin "${plugin}" is already registered by plugin "${existing.plugin}"`);
    }
    const args = spec.args ?? [];
    args.forEach((a, i) => {
      if (a.rest && i !== args.length - 1) throw new CommandError('BAD_SPEC', `verb "${verb}": only the last argument may take the rest`);
    });
    const cmd: RegisteredCommand = { ...spec, verb, words, plugin, access: spec.access ?? 'write' };
    this.byVerb.set(verb, cmd);
    this.maxWords = Math.max(this.maxWords, words.length);
    return cmd;
  }

  unregisterPlugin(plugin: string): void {
    for (const [verb, cmd] of this.byVerb) if (cmd.plugin === plugin) this.byVerb.delete(verb);
  }

  list(): RegisteredCommand[] {
    return [...this.byVerb.values()].sort((a, b) => byCodePoint(a.verb, b.verb));
  }

  get(verb: string): RegisteredCommand | undefined {
    return this.byVerb.get(verb);
  }

  /** Parses a line into a call: finds the verb, checks and converts the arguments. Throws CommandError. */
  parse(line: string, caller: Caller): CommandCall {
    const words = tokenize(line);
    if (words.length === 0) throw new CommandError('EMPTY', 'empty command line: try "help"');
    for (let n = Math.min(this.maxWords, words.length); n >= 1; n--) {
      const verb = words.slice(0, n).join(' ');
      const cmd = this.byVerb.get(verb) ?? this.byVerb.get(verb.toLowerCase());
      if (cmd) {
        const rest = words.slice(n);
        return { verb: cmd.verb, args: parseArgs(cmd, rest), words: rest, line, caller, command: cmd };
      }
    }
    throw this.unknownVerb(words);
  }

  /** Builds a call from a verb and already-split words (structured clients). */
  call(verb: string, words: string[], caller: Caller): CommandCall {
    const cmd = this.byVerb.get(verb);
    if (!cmd) throw this.unknownVerb(verb.split(/\s+/));
    return { verb, args: parseArgs(cmd, words), words, line: [verb, ...words].join(' '), caller, command: cmd };
  }

  private unknownVerb(words: string[]): CommandError {
    const verbs = [...this.byVerb.keys()];
    const scored = verbs
      .map((v) => {
        const n = v.split(' ').length;
        const attempt = words.slice(0, n).join(' ').toLowerCase();
        const prefix = v.startsWith(words[0]!.toLowerCase() + ' ') || v === words[0]!.toLowerCase();
        return { v, d: editDistance(attempt, v) - (prefix ? 2 : 0) };
      })
      .sort((a, b) => a.d - b.d || byCodePoint(a.v, b.v));
    const close = scored.filter((s) => s.d <= Math.max(2, Math.floor(s.v.length / 3))).slice(0, 5).map((s) => s.v);
    const attempted = words.slice(0, 2).join(' ');
    const hint = close.length ? `; did you mean: ${close.join(', ')}?` : '; "help" lists every verb';
    return new CommandError('UNKNOWN_VERB', `unknown command "${attempted}"${hint}`, { suggestions: close });
  }
}

function parseArgs(cmd: RegisteredCommand, words: string[]): Record<string, unknown> {
  const specs = cmd.args ?? [];
  const out: Record<string, unknown> = {};
  const bad = (why: string) => new CommandError('BAD_ARGS', `${why}; usage: ${usage(cmd)}`, { usage: usage(cmd) });
  let i = 0;
  for (const spec of specs) {
    if (spec.rest) {
      const rest = words.slice(i);
      i = words.length;
      if (rest.length === 0) {
        if (!spec.optional) throw bad(`missing <${spec.name}>`);
        continue;
      }
      out[spec.name] = rest.join(' ');
      continue;
    }
    const word = words[i];
    if (word === undefined) {
      if (!spec.optional) throw bad(`missing <${spec.name}>`);
      continue;
    }
    i++;
    out[spec.name] = convert(spec, word, bad);
  }
  if (i < words.length) throw bad(`unexpected argument "${words[i]}"`);
  return out;
}

function convert(spec: ArgSpec, word: string, bad: (why: string) => CommandError): unknown {
  let value: unknown = word;
  if (spec.choices) {
    const hit = spec.choices.find((c) => c.toLowerCase() === word.toLowerCase());
    if (hit === undefined) throw bad(`<${spec.name}> must be one of ${spec.choices.join(', ')}, got "${word}"`);
    value = hit;
  }
  switch (spec.type ?? 'string') {
    case 'int': {
      if (!/^[-+]?\d+$/.test(word)) throw bad(`<${spec.name}> must be an integer, got "${word}"`);
      value = Number(word);
      break;
    }
    case 'number': {
      const n = Number(word);
      if (word.trim() === '' || !Number.isFinite(n)) throw bad(`<${spec.name}> must be a number, got "${word}"`);
      value = n;
      break;
    }
    case 'boolean': {
      const w = word.toLowerCase();
      if (['true', 'on', 'yes', '1'].includes(w)) value = true;
      else if (['false', 'off', 'no', '0'].includes(w)) value = false;
      else throw bad(`<${spec.name}> must be true or false, got "${word}"`);
      break;
    }
    default:
      break;
  }
  if (typeof value === 'number') {
    if (spec.min !== undefined && value < spec.min) throw bad(`<${spec.name}> must be >= ${spec.min}, got ${value}`);
    if (spec.max !== undefined && value > spec.max) throw bad(`<${spec.name}> must be <= ${spec.max}, got ${value}`);
  }
  return value;
}

/** Turns anything thrown by a handler into a CommandError that can be sent to a client. */
export function toCommandError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string' && err instanceof Error) {
    return new CommandError((err as { code: string }).code, err.message);
  }
  return new CommandError('COMMAND_FAILED', errorMessage(err));
}
