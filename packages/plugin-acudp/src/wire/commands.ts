import { CommandId, NO_CAR } from './ids.js';
import { asBuffer, Reader } from './reader.js';
import { AcspEncodeError, Writer } from './writer.js';
import type { AcspCommand, DecodeResult } from './types.js';

const COMMAND_NAMES: Record<number, string> = Object.fromEntries(Object.entries(CommandId).map(([name, id]) => [id, name]));

/** The wire allows car id 255, but it means "no car": a command for it is a mistake. */
function carId(v: number): number {
  if (!Number.isInteger(v) || v < 0 || v >= NO_CAR) {
    throw new AcspEncodeError(`carId must be an integer from 0 to ${NO_CAR - 1} (an entry-list slot), got ${String(v)}`);
  }
  return v;
}

/**
 * Encodes a plugin->server command. A value the command cannot carry (a car id outside 0..254, a
 * text over 255 characters, a number out of range) throws AcspEncodeError naming the field, so
 * nothing is sent; the writer checks the ranges of the wire types, this only what is narrower.
 */
export function encodeCommand(cmd: AcspCommand): Buffer {
  switch (cmd.type) {
    case 'realtimepos_interval':
      return Writer.start(CommandId.REALTIMEPOS_INTERVAL).u16(cmd.intervalMs, 'intervalMs').finish();
    case 'get_car_info':
      return Writer.start(CommandId.GET_CAR_INFO).u8(carId(cmd.carId), 'carId').finish();
    case 'send_chat':
      return Writer.start(CommandId.SEND_CHAT).u8(carId(cmd.carId), 'carId').stringW(cmd.message, 'message').finish();
    case 'broadcast_chat':
      return Writer.start(CommandId.BROADCAST_CHAT).stringW(cmd.message, 'message').finish();
    case 'get_session_info':
      // int16 on the wire, but only -1 (the current session) and real indexes mean anything.
      if (!Number.isInteger(cmd.sessionIndex) || cmd.sessionIndex < -1 || cmd.sessionIndex > 0xff) {
        throw new AcspEncodeError(`sessionIndex must be an integer from -1 to 255, got ${String(cmd.sessionIndex)}`);
      }
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
      return Writer.start(CommandId.KICK_USER).u8(carId(cmd.carId), 'carId').finish();
    case 'next_session':
      return Writer.start(CommandId.NEXT_SESSION).finish();
    case 'restart_session':
      return Writer.start(CommandId.RESTART_SESSION).finish();
    case 'admin_command':
      return Writer.start(CommandId.ADMIN_COMMAND).stringW(cmd.command, 'command').finish();
    default:
      throw new AcspEncodeError(`unknown command type ${JSON.stringify((cmd as { type?: unknown }).type)}`);
  }
}

const reader = new Reader();

/** Decodes a plugin->server command (what the fake server receives). */
export function decodeCommand(data: Uint8Array): DecodeResult<AcspCommand> {
  const buf = asBuffer(data);
  if (buf.length === 0) return { ok: false, error: { id: -1, offset: 0, reason: 'empty', message: 'empty command: no id byte' } };
  const id = buf[0]!;
  const name = COMMAND_NAMES[id];
  if (name === undefined) return { ok: false, error: { id, offset: 0, reason: 'unknown_id', message: `unknown command id ${id}: expected 200 to 209` } };
  reader.reset(buf, 0, buf.length, id, name);
  return reader.read(readCommand);
}

function readCommand(r: Reader): AcspCommand {
  switch (r.id) {
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
      throw r.fail('unknown_id', `unknown command id ${r.id}`, 0);
  }
}
