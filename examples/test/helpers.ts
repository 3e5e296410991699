import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { isPluginInstance, type PluginEntry } from '@acgateway/core';
import { loadConfigFile } from '@acgateway/cli';
import { freePort, freeUdpPort } from '@acgateway/testing';

export const examples = path.resolve(fileURLToPath(import.meta.url), '../..');

export type Overrides = Record<string, (options: Record<string, any>) => Record<string, any>>;

/** The example's plugins, each with its options merged with the override for its name. */
export async function loadExample(name: string, overrides: Overrides) {
  const loaded = await loadConfigFile({ configPath: path.join(examples, name, 'acgateway.config.ts') });
  const plugins = (loaded.config.plugins ?? []).map((entry: PluginEntry) => {
    expect(isPluginInstance(entry), `${name}: plugins are listed as factory calls`).toBe(true);
    const inst = entry as Extract<PluginEntry, { definition: unknown }>;
    const override = overrides[inst.definition.name];
    return override ? { ...inst, options: override((inst.options as Record<string, any>) ?? {}) } : inst;
  });
  expect(plugins.length).toBeGreaterThan(0);
  return { plugins, dir: loaded.dir, config: loaded.config };
}

/**
 * The demo config's plugins redirected to a temp folder and free ports, so it runs beside a real
 * demo and beside other tests. `lapMs` shortens the fake AC server's laps.
 */
export async function demoOverrides(dir: string, demo: { lapMs?: number } = {}): Promise<Overrides> {
  const acudpPort = await freeUdpPort();
  const commandPort = await freeUdpPort();
  const rcPort = await freePort();
  return {
    demo: (o) => ({ ...o, dir, checkPorts: [], acudp: { ...o.acudp, pluginPort: acudpPort, commandPort, ...(demo.lapMs ? { lapMs: demo.lapMs } : {}) }, raceControl: { port: rcPort } }),
    acudp: (o) => ({ ...o, listenPort: acudpPort, serverPort: commandPort }),
    rf2: (o) => ({ ...o, dir: path.join(dir, 'rf2-shm'), feed: { ...o.feed, port: 0 } }),
    acws: (o) => ({ ...o, root: path.join(dir, 'ac-server'), acws: { ...o.acws, port: 0 } }),
    emperor: (o) => ({ ...o, servers: [{ ...o.servers[0], url: `ws://127.0.0.1:${rcPort}/api/race-control` }] }),
    robocar: (o) => ({ ...o, port: 0 }),
  };
}
