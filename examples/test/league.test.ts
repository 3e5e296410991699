import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PluginEntry } from '@acgateway/core';
import { loadConfigFile } from '@acgateway/cli';
import { createTestHost, until, type TestHost } from '@acgateway/testing';
import { FakeAcServer } from '@acgateway/plugin-acudp/fake';
import { natsServerPath, skipWithout, startNatsServer } from '../../test-support/brokers.mjs';
import { examples } from './helpers.js';

// examples/league as a user starts it: the three configs loaded from their files, two tracks each
// with a fake AC server, a viewer importing both, one real nats-server between them.

const hosts: TestHost[] = [];
const fakes: FakeAcServer[] = [];
let server: Awaited<ReturnType<typeof startNatsServer>> | undefined;
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
  for (const f of fakes.splice(0)) await f.stop();
  await server?.remove();
  server = undefined;
});

async function start(file: string, env: Record<string, string>): Promise<TestHost> {
  Object.assign(process.env, env);
  const loaded = await loadConfigFile({ configPath: path.join(examples, 'league', file) });
  const h = await createTestHost({ plugins: loaded.config.plugins as PluginEntry[], configDir: loaded.dir, config: { log: { level: 'warn' } } });
  hosts.push(h);
  return h;
}

describe.skipIf(skipWithout(natsServerPath, 'nats-server'))('examples/league', () => {
  it('two tracks and a viewer: the viewer has both timing boards and commands either track', { timeout: 40_000 }, async () => {
    server = await startNatsServer();
    const tracks: TestHost[] = [];
    for (const name of ['TRACK1', 'TRACK2']) {
      const fake = new FakeAcServer({ cars: 3, drivers: 3, lapMs: 400, loadDelayMs: 10, chatEveryMs: 0, collisionEveryMs: 0 });
      fakes.push(fake);
      await fake.listen();
      const h = await start(`${name.toLowerCase()}.config.ts`, { NATS_URL: server.url, [`${name}_PORT`]: '0', [`${name}_UDP`]: '0', [`${name}_AC`]: String(fake.commandPort) });
      fake.setPluginAddress((h.host.describe().find((p) => p.name === 'acudp')!.sources[0]!.status as { listenPort: number }).listenPort);
      tracks.push(h);
    }
    const viewer = await start('viewer.config.ts', { NATS_URL: server.url, VIEWER_PORT: '0' });
    for (const f of fakes) await f.start();
    for (const node of ['track1', 'track2']) {
      const lap = await viewer.waitFor(`${node}/acudp/lap_completed`, undefined, 15_000);
      expect(lap.data).toMatchObject({ carId: expect.any(Number), lapTimeMs: expect.any(Number) });
      await until(`${node}'s retained state`, () => viewer.host.bus.last(`${node}/acudp/state`));
    }
    const state = (await viewer.dispatch('@track2 ac state')) as { cars: unknown[] };
    expect(state.cars).toHaveLength(3);
    await viewer.dispatch('@track1 ac broadcast "Race starts in 5"');
    await until('the broadcast at track1', () => fakes[0]!.chatToDrivers.find((c) => c.message === 'Race starts in 5'));
    expect(fakes[1]!.chatToDrivers.find((c) => c.message === 'Race starts in 5')).toBeUndefined();
  });
});
