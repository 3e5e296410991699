import { CommandError, type CommandSpec } from '@acgateway/core';
import type { AcUdpClient } from '../client/client.js';
import { AcUdpError } from '../client/errors.js';
import type { AcspCommand } from '../protocol/types.js';

function toCommandError(err: unknown): CommandError {
  if (err instanceof AcUdpError) {
    switch (err.code) {
      case 'BAD_COMMAND':
        return new CommandError('BAD_ARGS', err.message);
      case 'NOT_LISTENING':
        return new CommandError('UNAVAILABLE', err.message);
      default:
        return new CommandError(err.code, err.message);
    }
  }
  if (err instanceof CommandError) return err;
  return new CommandError('COMMAND_FAILED', err instanceof Error ? err.message : String(err));
}

async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toCommandError(err);
  }
}

/** The verbs of the plugin. `replaying` refuses every verb that would talk to a server. */
export function acVerbs(client: AcUdpClient, replaying: () => string | undefined, snapshot: () => unknown): CommandSpec[] {
  const send = async (command: AcspCommand) => {
    const why = replaying();
    if (why) throw new CommandError('UNAVAILABLE', why);
    await run(() => client.send(command));
    return { sent: command };
  };
  const ask = <T>(fn: () => Promise<T>) => {
    const why = replaying();
    if (why) throw new CommandError('UNAVAILABLE', why);
    return run(fn);
  };
  const carId = { name: 'id', type: 'int', min: 0, max: 254, help: 'car id: the entry-list slot, 0-based' } as const;
  return [
    {
      verb: 'ac session',
      args: [{ name: 'index', type: 'int', optional: true, min: -1, max: 255, help: 'session index; -1 or none = the current session' }],
      access: 'read',
      help: 'Asks the AC server for a session (GET_SESSION_INFO) and returns its SESSION_INFO',
      handler: ({ args }) => ask(() => client.getSessionInfo((args.index as number | undefined) ?? -1)),
    },
    {
      verb: 'ac car',
      args: [carId],
      access: 'read',
      help: 'Asks the AC server about a car slot (GET_CAR_INFO) and returns its CAR_INFO',
      handler: ({ args }) => ask(() => client.getCarInfo(args.id as number)),
    },
    {
      verb: 'ac state',
      access: 'read',
      help: 'The tracked state: session, drivers by car id, last leaderboard (no server round trip)',
      handler: () => snapshot(),
    },
    {
      verb: 'ac chat',
      args: [carId, { name: 'text', rest: true, help: 'at most 255 characters' }],
      access: 'write',
      help: 'Sends a chat line to one driver (SEND_CHAT)',
      handler: ({ args }) => send({ type: 'send_chat', carId: args.id as number, message: args.text as string }),
    },
    {
      verb: 'ac broadcast',
      args: [{ name: 'text', rest: true, help: 'at most 255 characters' }],
      access: 'write',
      help: 'Sends a chat line to every driver (BROADCAST_CHAT)',
      handler: ({ args }) => send({ type: 'broadcast_chat', message: args.text as string }),
    },
    {
      verb: 'ac kick',
      args: [carId],
      access: 'write',
      help: 'Kicks the driver in a car slot (KICK_USER)',
      handler: ({ args }) => send({ type: 'kick_user', carId: args.id as number }),
    },
    {
      verb: 'ac next-session',
      access: 'write',
      help: 'Moves the server to the next session (NEXT_SESSION)',
      handler: () => send({ type: 'next_session' }),
    },
    {
      verb: 'ac restart-session',
      access: 'write',
      help: 'Restarts the current session (RESTART_SESSION)',
      handler: () => send({ type: 'restart_session' }),
    },
    {
      verb: 'ac admin',
      args: [{ name: 'text', rest: true, help: 'a server admin chat command, e.g. /ballast 0 50' }],
      access: 'write',
      help: 'Runs a server admin command (ADMIN_COMMAND)',
      handler: ({ args }) => send({ type: 'admin_command', command: args.text as string }),
    },
    {
      verb: 'ac interval',
      args: [{ name: 'ms', type: 'int', min: 0, max: 65535, help: 'interval in ms; 0 = off' }],
      access: 'write',
      help: 'Sets the car-update interval (REALTIMEPOS_INTERVAL)',
      handler: ({ args }) => send({ type: 'realtimepos_interval', intervalMs: args.ms as number }),
    },
  ];
}
