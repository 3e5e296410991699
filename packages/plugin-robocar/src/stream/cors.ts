import type { ServerOptions } from 'socket.io';

/** The plugin's `cors` option as socket.io/engine.io CORS settings. */
export function corsSettings(cors: boolean | string | string[]): ServerOptions['cors'] | undefined {
  if (cors === false) return undefined;
  if (cors === true || cors === '*') return { origin: '*' };
  return { origin: cors };
}
