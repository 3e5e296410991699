import { describe, expect, it } from 'vitest';
import { CommandError, CommandRegistry, tokenize } from '@acgateway/core';

const caller = { endpoint: 'test', role: 'admin' as const };

function registry() {
  const r = new CommandRegistry();
  r.register('acudp', { verb: 'ac broadcast', args: [{ name: 'text', rest: true }], help: 'broadcast', handler: () => 1 });
  r.register('acudp', { verb: 'ac chat', args: [{ name: 'id', type: 'int', min: 0, max: 255 }, { name: 'text', rest: true }], help: 'chat', handler: () => 1 });
  r.register('acudp', { verb: 'ac session', args: [{ name: 'index', type: 'int', optional: true }], help: 'session', access: 'read', handler: () => 1 });
  r.register('acws', {
    verb: 'server session',
    args: [{ name: 'session', choices: ['PRACTICE', 'QUALIFY', 'RACE'] }, { name: 'action', choices: ['enable', 'disable', 'laps', 'time'] }, { name: 'value', type: 'int', optional: true }],
    help: 'session',
    handler: () => 1,
  });
  r.register('acws', { verb: 'server info', help: 'info', access: 'read', handler: () => 1 });
  return r;
}

describe('tokenize', () => {
  it('groups quoted words and handles escapes', () => {
    expect(tokenize('ac broadcast "Race starts in 5"')).toEqual(['ac', 'broadcast', 'Race starts in 5']);
    expect(tokenize(`a 'b c' "d \\"e\\"" f\\ g`)).toEqual(['a', 'b c', 'd "e"', 'f g']);
    expect(tokenize('  x   y ')).toEqual(['x', 'y']);
    expect(tokenize('say ""')).toEqual(['say', '']);
  });
  it('names an unterminated quote', () => {
    expect(() => tokenize('ac broadcast "oops')).toThrow(/unterminated double quote/);
  });
});

describe('CommandRegistry', () => {
  it('finds the longest verb and converts arguments', () => {
    const call = registry().parse('ac chat 3 "hello there" all', caller);
    expect(call.verb).toBe('ac chat');
    expect(call.args).toEqual({ id: 3, text: 'hello there all' });
    const s = registry().parse('server session race LAPS 12', caller);
    expect(s.args).toEqual({ session: 'RACE', action: 'laps', value: 12 });
    expect(registry().parse('ac session', caller).args).toEqual({});
  });

  it('names the closest verbs for an unknown one', () => {
    try {
      registry().parse('ac brodcast hi', caller);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CommandError);
      expect((err as CommandError).code).toBe('UNKNOWN_VERB');
      expect((err as CommandError).message).toContain('ac broadcast');
    }
    expect(() => registry().parse('zzz', caller)).toThrow(/unknown command "zzz"/);
  });

  it('answers bad arguments with the usage', () => {
    expect(() => registry().parse('ac chat x hi', caller)).toThrow(/<id> must be an integer, got "x"; usage: ac chat <id> <text...>/);
    expect(() => registry().parse('ac chat 300 hi', caller)).toThrow(/<id> must be <= 255/);
    expect(() => registry().parse('ac chat 3', caller)).toThrow(/missing <text>/);
    expect(() => registry().parse('server info extra', caller)).toThrow(/unexpected argument "extra"/);
    expect(() => registry().parse('server session WARMUP enable', caller)).toThrow(/must be one of PRACTICE, QUALIFY, RACE/);
  });

  it('refuses a verb registered twice, naming both plugins', () => {
    const r = registry();
    expect(() => r.register('other', { verb: 'ac chat', help: '', handler: () => 1 })).toThrow(/"ac chat" of plugin "other" is already registered by plugin "acudp"/);
  });

  it('defaults access to write (the safe side)', () => {
    const r = registry();
    expect(r.get('ac chat')!.access).toBe('write');
    expect(r.get('server info')!.access).toBe('read');
  });
});
