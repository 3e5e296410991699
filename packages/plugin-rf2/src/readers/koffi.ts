import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

export type KoffiModule = typeof Koffi;

let loaded: KoffiModule | undefined;

/**
 * koffi is loaded on first use only: a host that never maps memory (the read fallback, tests of the
 * decoder, the feed) does not pay for the native module, and a platform without a koffi binary still
 * gets a clear error from the one place that needs it.
 */
export function loadKoffi(): KoffiModule {
  if (!loaded) loaded = createRequire(import.meta.url)('koffi') as KoffiModule;
  return loaded;
}
