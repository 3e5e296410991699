import { createRequire } from 'node:module';
import { API_VERSION, definePlugin, z } from '@acgateway/core';
import { acudpClientRef, type LapCompletedEvent } from '@acgateway/plugin-acudp';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const options = z
  .object({
    /** The chat line; `{time}` (m:ss.mmm), `{position}`, `{driver}`, `{cuts}` are filled in. */
    message: z.string().min(1).max(200).default('Lap {time}, P{position}'),
    /** Also tell a driver about a lap with cuts (marked as invalid). */
    invalidLaps: z.boolean().default(true),
  })
  .strict();

/** `91234` -> `1:31.234`. */
export function formatLapTime(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const seconds = ((ms % 60_000) / 1000).toFixed(3).padStart(6, '0');
  return `${minutes}:${seconds}`;
}

/** The chat line for one completed lap: position from the leaderboard that came with it. */
export function lapMessage(template: string, lap: LapCompletedEvent, driver: string): string {
  const index = lap.leaderboard.findIndex((e) => e.carId === lap.carId);
  const line = template
    .replaceAll('{time}', formatLapTime(lap.lapTimeMs))
    .replaceAll('{position}', index >= 0 ? String(index + 1) : '?')
    .replaceAll('{driver}', driver)
    .replaceAll('{cuts}', String(lap.cuts));
  return lap.cuts > 0 ? `${line} (invalid: ${lap.cuts} cut${lap.cuts > 1 ? 's' : ''})` : line;
}

/**
 * A league bot built only on public exports: it takes the acudp plugin's client as a service
 * (`deps: { acudp: acudpClientRef }`, so the host applies acudp first, and refuses the config
 * without it) and, on every completed lap, sends that driver a chat line with their lap time and
 * position.
 */
export const leagueBot = definePlugin({
  name: 'league-bot',
  apiVersion: API_VERSION,
  version,
  description: 'Tells each driver their lap time and position in the chat',
  options,
  deps: { acudp: acudpClientRef },
  apply(api, opts) {
    const client = api.deps.acudp;
    const sent = api.metrics.counter('league_bot_chats_total', 'Lap chat lines sent to drivers');
    const onLap = (lap: LapCompletedEvent) => {
      if (lap.cuts > 0 && !opts.invalidLaps) return;
      const driver = client.state.cars.get(lap.carId)?.driverName ?? `car ${lap.carId}`;
      client
        .sendChat(lap.carId, lapMessage(opts.message, lap, driver))
        .then(() => sent.inc())
        .catch((err: Error) => api.logger.warn({ carId: lap.carId }, `league-bot: could not send the lap chat: ${err.message}`));
    };
    // Listens only while the gateway runs.
    api.addSource({
      name: 'laps',
      start: () => void client.on('lap_completed', onLap),
      stop: () => void client.off('lap_completed', onLap),
    });
  },
});

export default leagueBot;
