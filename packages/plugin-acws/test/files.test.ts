import { afterEach, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createTestHost, tempDir } from '@acgateway/testing';
import { acws, parseAcIni } from '@acgateway/plugin-acws';
import { createSandboxServerRoot, fakeAcServerCommand, makeRaceResult, raceResultName } from '@acgateway/plugin-acws/fake';
import { isError, isEvent, startRig, type LineClient, type Rig } from './helpers.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

const cfgPath = (r: Rig) => path.join(r.sandbox.root, 'cfg', 'server_cfg.ini');
const read = (p: string) => fs.readFile(p, 'utf8');

describe('server_cfg.ini sessions', () => {
  it('edits sessions in memory, writes them atomically with a backup, keeping unknown keys and comments', async () => {
    rig = await startRig();
    const c = await rig.line();
    const before = await read(cfgPath(rig));
    expect((await c.cmd('server session PRACTICE disable')).data.msg).toBe('Disabled PRACTICE');
    expect((await c.cmd('server session practice disable')).data.msg).toBe('PRACTICE already disabled');
    expect((await c.cmd('server session RACE time 25')).data.msg).toBe('Set RACE to 25 minutes');
    expect((await c.cmd('server session QUALIFY laps 3')).error.msg).toMatch(/only RACE can be run over a number of laps/);
    // Shown at once (pending), not yet on disk.
    const sessions = (await c.cmd('server sessions')).data.sessions;
    expect(Object.keys(sessions)).toEqual(['Qualify', 'Race']);
    expect(sessions.Race).toMatchObject({ laps: 0, time: '25' });
    expect(await read(cfgPath(rig))).toBe(before);
    expect((await c.cmd('server info')).data.server.pending_edits).toBe(true);

    const w = await c.cmd('server configuration write');
    expect(w.data.msg).toBe('Wrote cfg/server_cfg.ini');
    expect(w.data.backup).toMatch(/^cfg\/server_cfg\.ini\..+\.bak$/);
    const after = await read(cfgPath(rig));
    expect(await read(path.join(rig.sandbox.root, w.data.backup))).toBe(before);
    const doc = parseAcIni(after);
    expect(doc.has('PRACTICE')).toBe(false);
    expect(Object.fromEntries(doc.get('RACE')!)).toEqual({ NAME: 'Race', WAIT_TIME: '60', IS_OPEN: '1', TIME: '25' });
    // Everything else is as it was: keys the original did not know, comments, CRLF.
    expect(after.startsWith('; acServer configuration written by the acgateway sandbox\r\n[SERVER]\r\n')).toBe(true);
    expect(doc.get('WEATHER_0')!.get('WIND_VARIATION_DIRECTION')).toBe('15');
    expect(doc.get('SERVER')!.get('CARS')).toBe('ks_mazda_mx5_cup;bmw_m3_e30');
    expect(after.split('\r\n').filter((l) => !/^(\[PRACTICE\]|NAME=Practice|TIME=10|IS_OPEN=1|LAPS=5|TIME=25|)$/.test(l))).toEqual(before.split('\r\n').filter((l) => !/^(\[PRACTICE\]|NAME=Practice|TIME=10|IS_OPEN=1|LAPS=5|TIME=25|)$/.test(l)));
    const topic = await rig.t.waitFor<any>('acws/config/written');
    expect(topic.data).toMatchObject({ file: 'cfg/server_cfg.ini', backup: w.data.backup });
    expect((await c.cmd('server info')).data.server.pending_edits).toBe(false);

    expect((await c.cmd('server session PRACTICE enable')).data.msg).toBe('Enabled PRACTICE');
    const reload = await c.cmd('server configuration reload');
    expect(reload.data.msg).toBe('Reloaded cfg/server_cfg.ini (1 edit not written were dropped)');
    expect(Object.keys(reload.data.server.sessions)).toEqual(['Qualify', 'Race']);
  });

  it('a write that fails half way leaves the original file intact', async () => {
    // The backup folder is a file: the new content is already in a temp file when the backup step fails.
    rig = await startRig({ plugin: { backupDir: 'cfg/not-a-folder' }, prepare: (s) => fs.writeFile(path.join(s.root, 'cfg', 'not-a-folder'), 'x') });
    const c = await rig.line();
    const before = await read(cfgPath(rig));
    await c.cmd('server session RACE laps 9');
    const r = await c.cmd('server configuration write');
    expect(r.error.msg).toMatch(/^Failed to write cfg\/server_cfg\.ini: .*\(the file is unchanged\)$/);
    expect(await read(cfgPath(rig))).toBe(before);
    const left = await fs.readdir(path.join(rig.sandbox.root, 'cfg'));
    expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // The edit is still pending and can be written once the problem is fixed.
    await fs.rm(path.join(rig.sandbox.root, 'cfg', 'not-a-folder'));
    expect((await c.cmd('server configuration write')).data.msg).toBe('Wrote cfg/server_cfg.ini');
    expect(parseAcIni(await read(cfgPath(rig))).get('RACE')!.get('LAPS')).toBe('9');
    expect(await fs.readdir(path.join(rig.sandbox.root, 'cfg', 'not-a-folder'))).toHaveLength(1);
  });

  it('missing and malformed ini files give a clear error, are counted, and nothing crashes', async () => {
    rig = await startRig({ prepare: (s) => fs.rm(path.join(s.root, 'cfg', 'server_cfg.ini')) });
    const c = await rig.line();
    expect((await c.cmd('server info')).error.msg).toBe('cfg/server_cfg.ini is missing from the server folder');
    expect((await c.cmd('server sessions')).error.msg).toBe('cfg/server_cfg.ini is missing from the server folder');
    expect((await c.cmd('server start')).error.msg).toBe('start command failed - cfg/server_cfg.ini is missing from the server folder');
    expect((await c.cmd('server configuration write')).error.msg).toBe('cfg/server_cfg.ini is missing from the server folder');
    // entry_list.ini is read on its own.
    expect(Object.keys((await c.cmd('server entries')).data.entries)).toHaveLength(5);

    await fs.writeFile(cfgPath(rig), '[SERVER]\r\nNAME=x\r\nTRACK=magione\r\n<<<<<<< merge conflict\r\n');
    expect((await c.cmd('server info')).error.msg).toBe('cfg/server_cfg.ini line 4: expected KEY=VALUE or [SECTION], got "<<<<<<< merge conflict"');
    await fs.writeFile(cfgPath(rig), '[RACE]\r\nLAPS=3\r\n');
    expect((await c.cmd('server sessions')).error.msg).toBe('cfg/server_cfg.ini has no [SERVER] section');
    await fs.writeFile(path.join(rig.sandbox.root, 'cfg', 'entry_list.ini'), '[CAR_0\r\nMODEL=x\r\n');
    expect((await c.cmd('server entries')).error.msg).toBe('cfg/entry_list.ini line 1: malformed section header "[CAR_0"');
    expect((await c.cmd('grid entries')).error.msg).toMatch(/^cfg\/entry_list.ini line 1/);
    expect(await rig.t.metric('acgateway_bad_input_total', { plugin: 'acws', kind: 'file-missing' })).toBeGreaterThan(0);
    expect(await rig.t.metric('acgateway_bad_input_total', { plugin: 'acws', kind: 'ini-malformed' })).toBeGreaterThan(0);
    expect(rig.t.logs.some((l) => l.kind === 'ini-malformed' && l.level === 40)).toBe(true);
  });
});

/**
 * `grid finish`/`grid reverse` answer with two messages, as the original: the message, then the grid.
 * Resolves with both merged (an error is one message).
 */
async function gridCmd(c: LineClient, line: string) {
  const from = c.messages.length;
  c.send(line);
  const first = await c.waitFor((m) => !isEvent(m), from);
  if (first.error) return first;
  expect(first.data, `${line}: the message comes first, alone`).toEqual({ msg: expect.any(String) });
  const second = await c.waitFor((m) => m.data?.grid !== undefined, c.messages.indexOf(first) + 1);
  expect(Object.keys(second.data)).toEqual(['grid']);
  return { data: { ...first.data, ...second.data } };
}

describe('grid', () => {
  it('finish, reverse, order, save, and the next start applies the saved grid', async () => {
    rig = await startRig();
    const c = await rig.line();
    const result = rig.sandbox.resultFile!;
    const rel = `results/${path.basename(result)}`;
    const finish = await gridCmd(c, 'grid finish');
    expect(finish.data.msg).toBe(`${rel} parse SUCCESS`);
    expect(finish.data.grid).toEqual({ '1': 'Chloe Chen', '2': 'Alice Archer', '3': 'Dario Duarte', '4': 'Bruno Brandt', '5': '#5 Emil Eriksen' });
    const reverse = await gridCmd(c, 'grid reverse');
    expect(reverse.data.grid).toEqual({ '1': 'Dario Duarte', '2': 'Alice Archer', '3': 'Chloe Chen', '4': 'Bruno Brandt', '5': '#5 Emil Eriksen' });
    // Twice in a row: the same grid, no duplicated non-finishers (the original accumulated them).
    expect((await gridCmd(c, 'grid reverse')).data.grid).toEqual(reverse.data.grid);
    expect((await c.cmd('grid order')).data).toEqual({ grid: reverse.data.grid, mode: 'reverse', source: rel });
    const topic = await rig.t.waitFor<any>('acws/grid', (m) => m.data.mode === 'reverse');
    expect(topic.data.order[3]).toMatchObject({ position: 4, name: 'Bruno Brandt', finished: false, from_slot: 1 });

    const save = await c.cmd('grid save');
    expect(save.data).toMatchObject({ msg: 'entry_list_new.ini file update SUCCESS', file: 'cfg/entry_list_new.ini', backup: null });
    const saved = parseAcIni(await read(path.join(rig.sandbox.root, 'cfg', 'entry_list_new.ini')));
    expect([...saved.keys()]).toEqual(['CAR_0', 'CAR_1', 'CAR_2', 'CAR_3', 'CAR_4']);
    expect(Object.fromEntries(saved.get('CAR_0')!)).toEqual({
      MODEL: 'bmw_m3_e30', SKIN: '00_official', SPECTATOR_MODE: '0', DRIVERNAME: 'Dario Duarte', TEAM: '', GUID: '76561198000000004', BALLAST: '0', RESTRICTOR: '0', FIXED_SETUP: '', AI: 'none',
    });
    expect(saved.get('CAR_4')!.get('DRIVERNAME')).toBe('#5 Emil Eriksen');
    const originalList = await read(path.join(rig.sandbox.root, 'cfg', 'entry_list.ini'));

    // The next start swaps it in: entry_list.ini -> entry_list_old.ini, entry_list_new.ini -> entry_list.ini.
    const start = await c.cmd('server start', (m) => m.data?.msg === 'AC Server started' || isError(m));
    // `grid_applied` is the gateway's; the line protocol sends the original's keys. The swap shows in the files.
    expect(start.data).not.toHaveProperty('grid_applied');
    const cfg = path.join(rig.sandbox.root, 'cfg');
    expect(await read(path.join(cfg, 'entry_list_old.ini'))).toBe(originalList);
    expect(parseAcIni(await read(path.join(cfg, 'entry_list.ini')))).toEqual(saved);
    await expect(fs.access(path.join(cfg, 'entry_list_new.ini'))).rejects.toThrow();
    expect((await c.cmd('grid entries')).data.entries['1']).toBe('bmw_m3_e30Dario Duarte (76561198000000004)');
    // A start while running does not swap anything (the original did, bug 5).
    await gridCmd(c, 'grid finish');
    await c.cmd('grid save');
    expect((await c.cmd('server start')).error.msg).toMatch(/already running/);
    await expect(fs.access(path.join(cfg, 'entry_list_new.ini'))).resolves.toBeUndefined();
  });

  it('takes the newest race result and refuses results of another track or invalid ones', async () => {
    rig = await startRig();
    const c = await rig.line();
    const dir = path.join(rig.sandbox.root, 'results');
    const d = rig.sandbox.drivers;
    const other = makeRaceResult({ track: 'monza', cars: [{ carId: 0, name: d[0]!.name, guid: d[0]!.guid, model: d[0]!.model, totalTimeMs: 1 }] });
    const newer = raceResultName(new Date(2024, 11, 1, 9, 5));
    await fs.writeFile(path.join(dir, newer), JSON.stringify(other));
    // A qualifying file is never taken, however new.
    await fs.writeFile(path.join(dir, '2030_1_1_1_1_QUALIFY.json'), '{}');
    const r = await gridCmd(c, 'grid finish');
    expect(r.error.msg).toBe(`results/${newer} parse FAILURE: TrackName "monza" does not match TRACK "magione" of server_cfg.ini`);
    expect((await c.cmd('grid order')).data).toMatchObject({ mode: 'entry_list', source: 'cfg/entry_list.ini' });

    const newest = raceResultName(new Date(2025, 0, 2, 10, 30));
    await fs.writeFile(path.join(dir, newest), '{"TrackName": "magione", "Cars": [');
    expect((await gridCmd(c, 'grid reverse')).error.msg).toMatch(new RegExp(`^results/${newest} parse FAILURE: invalid JSON: `));
    await fs.writeFile(path.join(dir, newest), JSON.stringify({ TrackName: 'magione', Cars: [], Result: [{ CarId: -1 }] }));
    expect((await gridCmd(c, 'grid reverse')).error.msg).toMatch(/parse FAILURE: not an AC results file: Result\[0\]\.CarId: /);

    const good = makeRaceResult({ track: 'magione', cars: [3, 4, 0].map((i) => ({ carId: i, name: d[i]!.name, guid: d[i]!.guid, model: d[i]!.model, totalTimeMs: 500000 + i })) });
    await fs.writeFile(path.join(dir, newest), JSON.stringify(good));
    expect((await gridCmd(c, 'grid finish')).data.grid).toEqual({ '1': 'Dario Duarte', '2': '#5 Emil Eriksen', '3': 'Alice Archer', '4': 'Bruno Brandt', '5': 'Chloe Chen' });
    expect(await rig.t.metric('acgateway_bad_input_total', { plugin: 'acws', kind: 'results-other-track' })).toBe(1);
    expect(await rig.t.metric('acgateway_bad_input_total', { plugin: 'acws', kind: 'results-invalid' })).toBe(2);
  });

  it('grid commands before any race result say so', async () => {
    rig = await startRig({ sandbox: { results: false } });
    const c = await rig.line();
    expect((await gridCmd(c, 'grid finish')).error.msg).toBe('Unable to parse results file - no file exists (no *_RACE.json in results/ yet: run a race first)');
    expect((await gridCmd(c, 'grid reverse')).error.msg).toMatch(/^Unable to parse results file - no file exists/);
    // As the original: before any finish/reverse, the current grid is the entry list's order.
    expect((await c.cmd('grid order')).data).toEqual({
      grid: { '1': 'Alice Archer', '2': 'Bruno Brandt', '3': 'Chloe Chen', '4': 'Dario Duarte', '5': '#5 Emil Eriksen' },
      mode: 'entry_list',
      source: 'cfg/entry_list.ini',
    });
    expect((await c.cmd('grid save')).error.msg).toBe('grid save: no grid yet: run "grid finish" or "grid reverse" first');
    await expect(fs.access(path.join(rig.sandbox.root, 'cfg', 'entry_list_new.ini'))).rejects.toThrow();
    expect((await c.cmd('grid entries')).data.entries['5']).toBe('ks_mazda_mx5_cup#5 Emil Eriksen (76561198000000005)');
  });

  it('a damaged entry_list_new.ini is not swapped in', async () => {
    rig = await startRig({ prepare: (s) => fs.writeFile(path.join(s.root, 'cfg', 'entry_list_new.ini'), '[SERVER]\r\nNAME=wrong file\r\n') });
    const c = await rig.line();
    const before = await read(path.join(rig.sandbox.root, 'cfg', 'entry_list.ini'));
    expect((await c.cmd('server start')).error.msg).toBe('start command failed - cfg/entry_list_new.ini has no [CAR_<n>] section: not applied');
    expect(await read(path.join(rig.sandbox.root, 'cfg', 'entry_list.ini'))).toBe(before);
  });
});

describe('paths', () => {
  it('resolves a relative root from the config file\'s folder', async () => {
    const { dir, remove } = await tempDir('acws-rel-');
    try {
      const sandbox = await createSandboxServerRoot(path.join(dir, 'servers', 'one'), { track: 'vallelunga' });
      const t = await createTestHost({ plugins: [acws({ root: 'servers/one', acws: { port: 0 }, acServer: fakeAcServerCommand(), stracker: { enabled: false } })], configDir: dir });
      try {
        const info = (await t.dispatch('server info')) as { server: { track: string; directory: string } };
        expect(info.server.track).toBe(sandbox.track);
        expect(info.server.directory).toBe(sandbox.root);
      } finally {
        await t.stop();
      }
    } finally {
      await remove();
    }
  });
});
