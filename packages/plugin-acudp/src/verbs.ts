import { CommandError, type CommandSpec } from '@acgateway/core';
import type { AcUdpClient } from './client/client.js';
import { AcUdpError } from './client/errors.js';
import type { AcspCommand } from './wire/types.js';

/** Client codes that have a gateway-wide name; the host turns every other coded error into a reply as it is. */
const GATEWAY_CODE: Partial<Record<AcUdpError['code'], string>> = { BAD_COMMAND: 'BAD_ARGS', NOT_LISTENING: 'UNAVAILABLE' };

/** The verbs of the plugin. `replaying` refuses every verb that would talk to a server. */
export function acVerbs(client: AcUdpClient, replaying: () => string | undefined, snapshot: () => unknown): CommandSpec[] {
  const ask = async <T>(fn: () => Promise<T>): Promise<T> => {
    const why = replaying();
    if (why) throw new CommandError('UNAVAILABLE', why);
    try {
      return await fn();
    } catch (err) {
      const code = err instanceof AcUdpError ? GATEWAY_CODE[err.code] : undefined;
      throw code ? new CommandError(code, (err as Error).message) : err;
    }
  };
  const send = (command: AcspCommand) =>
    ask(async () => {
      await client.send(command);
      return { sent: command };
    });
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
