import { CommandId, MAX_STRING_CHARS, NO_CAR } from './ids.js';
import { DecodeFailure, Reader } from './reader.js';
import { AcspEncodeError, codePointLength, Writer } from './writer.js';
import type { AcspCommand, DecodeResult } from './types.js';

const COMMAND_NAMES: Record<number, string> = {
  200: 'REALTIMEPOS_INTERVAL',
  201: 'GET_CAR_INFO',
  202: 'SEND_CHAT',
  203: 'BROADCAST_CHAT',
  204: 'GET_SESSION_INFO',
  205: 'SET_SESSION_INFO',
  206: 'KICK_USER',
  207: 'NEXT_SESSION',
  208: 'RESTART_SESSION',
  209: 'ADMIN_COMMAND',
};

function carId(v: unknown, field = 'carId'): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= NO_CAR) {
    throw new AcspEncodeError(`${field} must be an integer from 0 to ${NO_CAR - 1} (an entry-list slot), got ${String(v)}`);
  }
}

function text(v: unknown, field: string): void {
  if (typeof v !== 'string') throw new AcspEncodeError(`${field} must be a string, got ${typeof v}`);
  const n = codePointLength(v);
  if (n > MAX_STRING_CHARS) throw new AcspEncodeError(`${field} is ${n} characters; the protocol allows at most ${MAX_STRING_CHARS}`);
}

function int(v: unknown, min: number, max: number, field: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new AcspEncodeError(`${field} must be an integer from ${min} to ${max}, got ${String(v)}`);
  }
}

/** Throws AcspEncodeError naming the bad field; nothing is sent for a command that fails this. */
export function validateCommand(cmd: AcspCommand): void {
  switch (cmd.type) {
    case 'realtimepos_interval':
      return int(cmd.intervalMs, 0, 0xffff, 'intervalMs');
    case 'get_car_info':
    case 'kick_user':
      return carId(cmd.carId);
    case 'send_chat':
      carId(cmd.carId);
      return text(cmd.message, 'message');
    case 'broadcast_chat':
      return text(cmd.message, 'message');
    case 'get_session_info':
      return int(cmd.sessionIndex, -1, 0xff, 'sessionIndex');
    case 'set_session_info':
      int(cmd.sessionIndex, 0, 0xff, 'sessionIndex');
      text(cmd.name, 'name');
      int(cmd.sessionType, 0, 0xff, 'sessionType');
      int(cmd.laps, 0, 0xffffffff, 'laps');
      int(cmd.timeS, 0, 0xffffffff, 'timeS');
      return int(cmd.waitTimeS, 0, 0xffffffff, 'waitTimeS');
    case 'next_session':
    case 'restart_session':
      return;
    case 'admin_command':
      return text(cmd.command, 'command');
    default:
      throw new AcspEncodeError(`unknown command type ${JSON.stringify((cmd as { type?: unknown }).type)}`);
  }
}

/** Encodes a plugin->server command, after `validateCommand`. */
export function encodeCommand(cmd: AcspCommand): Buffer {
  validateCommand(cmd);
  switch (cmd.type) {
    case 'realtimepos_interval':
      return Writer.start(CommandId.REALTIMEPOS_INTERVAL).u16(cmd.intervalMs, 'intervalMs').finish();
    case 'get_car_info':
      return Writer.start(CommandId.GET_CAR_INFO).u8(cmd.carId, 'carId').finish();
    case 'send_chat':
      return Writer.start(CommandId.SEND_CHAT).u8(cmd.carId, 'carId').stringW(cmd.message, 'message').finish();
    case 'broadcast_chat':
      return Writer.start(CommandId.BROADCAST_CHAT).stringW(cmd.message, 'message').finish();
    case 'get_session_info':
      return Writer.start(CommandId.GET_SESSION_INFO).i16(cmd.sessionIndex, 'sessionIndex').finish();
    case 'set_session_info':
      return Writer.start(CommandId.SET_SESSION_INFO)
        .u8(cmd.sessionIndex, 'sessionIndex')
        .stringW(cmd.name, 'name')
        .u8(cmd.sessionType, 'sessionType')
        .u32(cmd.laps, 'laps')
        .u32(cmd.timeS, 'timeS')
        .u32(cmd.waitTimeS, 'waitTimeS')
        .finish();
    case 'kick_user':
      return Writer.start(CommandId.KICK_USER).u8(cmd.carId, 'carId').finish();
    case 'next_session':
      return Writer.start(CommandId.NEXT_SESSION).finish();
    case 'restart_session':
      return Writer.start(CommandId.RESTART_SESSION).finish();
    case 'admin_command':
      return Writer.start(CommandId.ADMIN_COMMAND).stringW(cmd.command, 'command').finish();
  }
}

const reader = new Reader();

/** Decodes a plugin->server command (what the fake server receives). */
export function decodeCommand(data: Uint8Array): DecodeResult<AcspCommand> {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length === 0) return { ok: false, error: { id: -1, offset: 0, reason: 'empty', message: 'empty command: no id byte' } };
  const id = buf[0]!;
  const name = COMMAND_NAMES[id];
  if (name === undefined) return { ok: false, error: { id, offset: 0, reason: 'unknown_id', message: `unknown command id ${id}: expected 200 to 209` } };
  const r = reader;
  r.reset(buf, 0, buf.length, id, name);
  try {
    const value = readCommand(r, id);
    return { ok: true, value, length: r.pos };
  } catch (err) {
    if (err instanceof DecodeFailure) return { ok: false, error: err.error };
    return { ok: false, error: { id, offset: r.pos, reason: 'truncated', message: `internal decoder error: ${String(err)}` } };
  }
}

function readCommand(r: Reader, id: number): AcspCommand {
  switch (id) {
    case CommandId.REALTIMEPOS_INTERVAL:
      return { type: 'realtimepos_interval', intervalMs: r.u16('interval_ms') };
    case CommandId.GET_CAR_INFO:
      return { type: 'get_car_info', carId: r.u8('car_id') };
    case CommandId.SEND_CHAT:
      return { type: 'send_chat', carId: r.u8('car_id'), message: r.stringW('message') };
    case CommandId.BROADCAST_CHAT:
      return { type: 'broadcast_chat', message: r.stringW('message') };
    case CommandId.GET_SESSION_INFO:
      // server-manager sends the id alone: read that as "the current session".
      return { type: 'get_session_info', sessionIndex: r.remaining === 0 ? -1 : r.i16('session_index') };
    case CommandId.SET_SESSION_INFO: {
      const sessionIndex = r.u8('session_index');
      const name = r.stringW('name');
      const sessionType = r.u8('session_type');
      const laps = r.u32('laps');
      const timeS = r.u32('time');
      const waitTimeS = r.u32('wait_time');
      return { type: 'set_session_info', sessionIndex, name, sessionType, laps, timeS, waitTimeS };
    }
    case CommandId.KICK_USER:
      return { type: 'kick_user', carId: r.u8('car_id') };
    case CommandId.NEXT_SESSION:
      return { type: 'next_session' };
    case CommandId.RESTART_SESSION:
      return { type: 'restart_session' };
    case CommandId.ADMIN_COMMAND:
      return { type: 'admin_command', command: r.stringW('command') };
    default:
      throw r.fail('unknown_id', `unknown command id ${id}`, 0);
  }
}
