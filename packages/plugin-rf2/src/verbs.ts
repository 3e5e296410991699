import { CommandError, type CommandSpec, type Endpoint } from '@acgateway/core';
import type { Rf2Source } from './source.js';

/** The plugin's verbs: the shared memory's state and counters, and the player's data now. */
export function rf2Verbs(source: Rf2Source, feed: () => Endpoint | undefined, feedOptions: { rateHz: number; pedals: string }): CommandSpec[] {
  return [
    {
      verb: 'rf2 status',
      access: 'read',
      help: 'Connection state of the rF2 shared memory, where it is read from, and read counters',
      handler: () => {
        const f = feed();
        return {
          ...source.currentStatus(),
          counters: source.counters(),
          feed: f ? { urls: f.urls(), clients: f.clients?.() ?? 0, rateHz: feedOptions.rateHz, pedals: feedOptions.pedals } : null,
        };
      },
    },
    {
      verb: 'rf2 player',
      access: 'read',
      help: "The player's feed message and telemetry now",
      handler: () => {
        const player = source.currentPlayer();
        if (!player) {
          const s = source.currentStatus();
          throw new CommandError(s.state === 'not_running' ? 'NOT_RUNNING' : 'NO_PLAYER', s.reason);
        }
        return player;
      },
    },
  ];
}
