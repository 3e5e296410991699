import { CommandError, type CommandSpec } from '@acgateway/core';
import type { ServerSession } from './server-session.js';

/** The verbs: all read-only. */
export function emperorCommands(sessions: ReadonlyMap<string, ServerSession>): CommandSpec[] {
  const names = [...sessions.keys()];
  const serverArg = { name: 'server', optional: true, choices: names, help: 'server name; may be left out when only one is configured' };
  const pick = (name: unknown): ServerSession => {
    if (typeof name === 'string') return sessions.get(name)!;
    if (sessions.size === 1) return sessions.values().next().value!;
    throw new CommandError('BAD_ARGS', `several servers are configured: name one of ${names.join(', ')}`);
  };
  return [
    {
      verb: 'emperor drivers',
      args: [serverArg],
      access: 'read',
      help: 'Connected and disconnected drivers of a race-control server, in the server\'s order, with laps, splits and pit state',
      handler: ({ args }) => pick(args.server).drivers(),
    },
    {
      verb: 'emperor team',
      args: [serverArg],
      access: 'read',
      help: 'The team\'s drivers on a server (by the configured teamTag or teamName)',
      handler: ({ args }) => {
        const s = pick(args.server);
        if (!s.hasTeamRule) throw new CommandError('NO_TEAM_RULE', `server "${s.name}" has no team rule: set teamTag (e.g. "-YORK") or teamName in its options`);
        return s.teamDrivers();
      },
    },
    {
      verb: 'emperor status',
      access: 'read',
      help: 'Connection, session and counters of every configured race-control server',
      handler: () => ({ servers: [...sessions.values()].map((s) => s.status()) }),
    },
  ];
}
