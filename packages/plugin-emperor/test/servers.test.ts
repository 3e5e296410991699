import { afterEach, describe, expect, it } from 'vitest';
import { Host } from '@acgateway/core';
import { until, type TestHost } from '@acgateway/testing';
import emperor, { type DriversPayload, type ServerStatus, type TeamPayload } from '@acgateway/plugin-emperor';
import { ALEX, PRIYA, SAM, latest, startFake, startHost, stopAll } from './helpers.js';

let t: TestHost | undefined;
afterEach(stopAll);

describe('several servers at once', () => {
  it('keeps a connection, a state and topics per server; verbs pick one by name', async () => {
    const a = await startFake();
    const b = await startFake({ race: { session: { Name: 'Practice', Type: 1, Time: 30, Laps: 0, Track: 'magione', TrackConfig: '' }, v2: true } });
    a.connectDriver(SAM);
    a.connectDriver(ALEX);
    b.connectDriver({ ...PRIYA, teamName: 'GT3 7 | York Racing' });
    t = await startHost([
      { name: 'fs1', url: a.url, teamTag: '-YORK' },
      { name: 'fs2', url: b.url, teamName: 'York Racing' },
    ]);
    await until('both', () => latest<DriversPayload>(t!, 'emperor/fs1/drivers')?.connected.length === 2 && latest<DriversPayload>(t!, 'emperor/fs2/drivers')?.connected.length === 1);

    expect(((await t.dispatch('emperor drivers fs1')) as DriversPayload).connected.map((d) => d.name)).toEqual([SAM.name, ALEX.name]);
    const fs2 = (await t.dispatch('emperor drivers FS2')) as DriversPayload;
    expect(fs2).toMatchObject({ server: 'fs2', session: { type: 'practice', track: 'magione' } });
    // v2 fields come through.
    expect(fs2.connected[0]).toMatchObject({ name: PRIYA.name, teamName: 'GT3 7 | York Racing', inPits: true, numPits: 0, drsActive: false });
    expect(((await t.dispatch('emperor team fs2')) as TeamPayload).connected.map((d) => d.name)).toEqual([PRIYA.name]);
    expect(((await t.dispatch('emperor team fs1')) as TeamPayload).connected.map((d) => d.name)).toEqual([SAM.name]);

    await expect(t.dispatch('emperor drivers')).rejects.toMatchObject({ code: 'BAD_ARGS', message: expect.stringMatching(/fs1, fs2/) });
    await expect(t.dispatch('emperor drivers fs3')).rejects.toMatchObject({ code: 'BAD_ARGS', message: expect.stringMatching(/fs1, fs2/) });

    // One server going away does not touch the other.
    a.dropConnections();
    a.refuse(500);
    b.completeLap(PRIYA.guid, 80_500);
    await until('fs2 lap', () => latest<DriversPayload>(t!, 'emperor/fs2/drivers')?.connected[0]?.laps === 1);
    const st = ((await t.dispatch('emperor status')) as { servers: ServerStatus[] }).servers;
    expect(st.map((s) => [s.server, s.connection.state === 'open'])).toEqual([['fs1', false], ['fs2', true]]);
    expect(st[1]).toMatchObject({ snapshots: 2, bestLapMs: 80_500, drivers: { connected: 1 }, team: 1 });
    expect(st[0]!.drivers.connected).toBe(2);
  });

  it('answers verbs for one server without a name, and says when there is no team rule', async () => {
    const a = await startFake();
    a.connectDriver(SAM);
    t = await startHost([{ name: 'solo', url: a.url }]);
    await until('snapshot', () => latest<DriversPayload>(t!, 'emperor/solo/drivers')?.connected.length === 1);
    expect(((await t.dispatch('emperor drivers')) as DriversPayload).server).toBe('solo');
    await expect(t.dispatch('emperor team')).rejects.toMatchObject({ code: 'NO_TEAM_RULE' });
    expect(t.published('emperor/solo/team')).toEqual([]);
    const help = (await t.dispatch('help emperor')) as Array<{ verb: string; access: string }>;
    expect(help.map((h) => [h.verb, h.access])).toEqual([['emperor drivers', 'read'], ['emperor status', 'read'], ['emperor team', 'read']]);
    // Read-only callers may use them.
    await expect(t.dispatch('emperor status', { role: 'read' })).resolves.toBeTruthy();
  });
});

describe('options', () => {
  const init = async (options: unknown) => {
    const host = new Host({ config: { server: { enabled: false }, plugins: [emperor(options as Parameters<typeof emperor>[0])] } });
    try {
      await host.init();
      return 'ok';
    } finally {
      await host.stop().catch(() => {});
    }
  };

  it('connects nowhere by default: a server must be named', async () => {
    await expect(init({})).rejects.toThrow(/servers/);
    await expect(init({ servers: [] })).rejects.toThrow(/at least one server/);
  });

  it('refuses bad URLs, bad names and duplicates with the path of the bad key', async () => {
    await expect(init({ servers: [{ name: 'a', url: 'ftp://x/' }] })).rejects.toThrow(/servers\.0\.url.*ws:\/\//);
    await expect(init({ servers: [{ name: 'a/b', url: 'ws://x/' }] })).rejects.toThrow(/servers\.0\.name.*topic level/);
    await expect(init({ servers: [{ name: 'a', url: 'ws://x/' }, { name: 'a', url: 'ws://y/' }] })).rejects.toThrow(/unique/);
    await expect(init({ servers: [{ name: 'a', url: 'ws://x/' }], reconnect: { jitter: 2 } })).rejects.toThrow(/reconnect\.jitter/);
    await expect(init({ servers: [{ name: 'a', url: 'wss://x/api/race-control' }] })).resolves.toBe('ok');
  });

  it('fills in the documented defaults', () => {
    const inst = emperor({ servers: [{ name: 'a', url: 'ws://x/' }] });
    const parsed = inst.definition.options!.parse(inst.options) as Record<string, unknown>;
    expect(parsed).toMatchObject({ reconnect: { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.5 }, pingIntervalMs: 10_000, deadAfterMs: 30_000 });
  });
});
