import { describe, expect, it } from 'vitest';
import { IniSyntaxError, parseAcIni, updateAcIni, renderAcIni } from '../src/wire/ac-ini.js';
import { applySessionEdit, viewServerCfg, ServerCfgError } from '../src/wire/server-cfg.js';
import { AcServerLogParser, type LogEvent } from '../src/wire/acserver-log.js';
import { buildGrid, parseRaceResult, ResultsError, timeOfResultName } from '../src/wire/results-json.js';
import { readEntries, entryListDoc } from '../src/wire/entry-list.js';
import { compareVersions, parseClientLine, parseLogon, LogonError, encodeData } from '../src/wire/line-protocol.js';
import { rebaseLobbyUrl, isLobbySuccess, buildRegisterUrl } from '../src/wire/lobby-url.js';
import { makeRaceResult } from '../src/fake/sandbox.js';

const CFG = [
  '; top comment',
  '[SERVER]',
  'NAME=My #1 Server; fast',
  'CARS=ks_mazda_mx5_cup;bmw_m3_e30',
  'TRACK=magione',
  'CONFIG_TRACK=',
  'WELCOME_MESSAGE="quoted"',
  'UNKNOWN_KEY=true',
  'PATH=C:\\ac\\server',
  '',
  '[PRACTICE]',
  'NAME=Practice',
  'TIME=15',
  'IS_OPEN=1',
  '',
  '[RACE]',
  'NAME=Race',
  'LAPS=12',
  'WAIT_TIME=60',
  '',
  '[WEATHER_0]',
  'GRAPHICS=3_clear',
  '',
].join('\r\n');

describe('AC ini dialect', () => {
  it('reads values verbatim: semicolons, hashes, quotes, backslashes, booleans', () => {
    const doc = parseAcIni(CFG, 'server_cfg.ini');
    const s = doc.get('SERVER')!;
    expect(s.get('NAME')).toBe('My #1 Server; fast');
    expect(s.get('CARS')).toBe('ks_mazda_mx5_cup;bmw_m3_e30');
    expect(s.get('WELCOME_MESSAGE')).toBe('"quoted"');
    expect(s.get('UNKNOWN_KEY')).toBe('true');
    expect(s.get('PATH')).toBe('C:\\ac\\server');
    expect(s.get('CONFIG_TRACK')).toBe('');
    expect([...doc.keys()]).toEqual(['SERVER', 'PRACTICE', 'RACE', 'WEATHER_0']);
  });

  it('takes % literally (the original\'s configparser interpolated it and failed)', () => {
    const doc = parseAcIni('[SERVER]\nWELCOME_MESSAGE=100% fun %(name)s\n');
    expect(doc.get('SERVER')!.get('WELCOME_MESSAGE')).toBe('100% fun %(name)s');
  });

  it('names the line of a malformed file', () => {
    expect(() => parseAcIni('[SERVER]\nNAME=x\nthis is not ini\n', 'cfg/server_cfg.ini')).toThrow(/cfg\/server_cfg.ini line 3: expected KEY=VALUE/);
    expect(() => parseAcIni('[SERVER\nNAME=x\n', 'f')).toThrow(IniSyntaxError);
    expect(() => parseAcIni('NAME=x\n[SERVER]\n', 'f')).toThrow(/before any \[SECTION\]/);
    expect(() => parseAcIni('[SERVER]\n\u0000\u0001', 'f')).toThrow(/binary/);
  });

  it('writes edits in place: comments, unknown keys, CRLF and unchanged lines survive', () => {
    const doc = parseAcIni(CFG);
    doc.get('RACE')!.set('LAPS', '20');
    doc.get('RACE')!.set('TIME', '0');
    doc.delete('PRACTICE');
    doc.set('QUALIFY', new Map([['NAME', 'Qualify'], ['TIME', '10']]));
    const out = updateAcIni(CFG, doc);
    expect(out).toContain('; top comment\r\n[SERVER]\r\nNAME=My #1 Server; fast\r\nCARS=ks_mazda_mx5_cup;bmw_m3_e30');
    expect(out).toContain('UNKNOWN_KEY=true\r\nPATH=C:\\ac\\server');
    expect(out).toContain('[RACE]\r\nNAME=Race\r\nLAPS=20\r\nWAIT_TIME=60\r\nTIME=0\r\n');
    expect(out).not.toContain('[PRACTICE]');
    expect(out).toMatch(/\[QUALIFY\]\r\nNAME=Qualify\r\nTIME=10\r\n$/);
    expect(out).not.toMatch(/[^\r]\n/);
    // And it reads back to the same document.
    expect(parseAcIni(out)).toEqual(doc);
  });

  it('a section repeated in the file is written once, with the keys of both', () => {
    const text = '[A]\nK=1\n\n[B]\nX=1\n\n[A]\nL=2\n';
    const doc = parseAcIni(text);
    expect(Object.fromEntries(doc.get('A')!)).toEqual({ K: '1', L: '2' });
    doc.get('A')!.set('L', '3');
    expect(updateAcIni(text, doc)).toBe('[A]\nK=1\nL=3\n\n[B]\nX=1\n\n');
  });

  it('never lets a value start a new line', () => {
    const doc = new Map([['CAR_0', new Map([['DRIVERNAME', 'Evil\r\n[CAR_9]\r\nMODEL=x']])]]);
    const text = renderAcIni(doc);
    expect(parseAcIni(text).size).toBe(1);
    expect(parseAcIni(text).get('CAR_0')!.get('DRIVERNAME')).toBe('Evil  [CAR_9]  MODEL=x');
  });
});

describe('server_cfg.ini sessions', () => {
  const doc = parseAcIni(CFG);
  it('shows sessions keyed by NAME, laps and time as the ini strings (0 when the key is absent), as the original', () => {
    const v = viewServerCfg(doc);
    expect(v.track).toBe('magione');
    expect(v.sessions).toEqual({
      Practice: { type: 'Practice', laps: 0, time: '15', msg: '', active: false },
      Race: { type: 'Race', laps: '12', time: 0, msg: '', active: false },
    });
  });
  it('edits upper-case sections (the original capitalised and missed them)', () => {
    const q = applySessionEdit(doc, { session: 'QUALIFY', option: 'enable' });
    expect(q.msg).toBe('Enabled QUALIFY');
    expect(Object.fromEntries(q.doc.get('QUALIFY')!)).toEqual({ NAME: 'Qualify', TIME: '10', IS_OPEN: '1' });
    expect(applySessionEdit(doc, { session: 'PRACTICE', option: 'disable' }).doc.has('PRACTICE')).toBe(false);
    const laps = applySessionEdit(doc, { session: 'RACE', option: 'laps', value: 7 });
    expect(laps.msg).toBe('Set RACE to 7 laps');
    const time = applySessionEdit(laps.doc, { session: 'RACE', option: 'time', value: 30 });
    expect(Object.fromEntries(time.doc.get('RACE')!)).toEqual({ NAME: 'Race', WAIT_TIME: '60', TIME: '30' });
    expect(doc.get('RACE')!.get('LAPS')).toBe('12');
    expect(() => applySessionEdit(doc, { session: 'PRACTICE', option: 'laps', value: 3 })).toThrow(ServerCfgError);
    expect(() => applySessionEdit(doc, { session: 'QUALIFY', option: 'time', value: 3 })).toThrow(/not enabled/);
  });
  it('refuses a file without [SERVER]', () => {
    expect(() => viewServerCfg(parseAcIni('[RACE]\nLAPS=1\n'), 'cfg/server_cfg.ini')).toThrow(/has no \[SERVER\] section/);
  });
});

describe('acServer log parser', () => {
  const LOG = `Assetto Corsa Dedicated Server v1.15
Protocol version: 202
2022-07-22 10:42:32.8776464 +1000 AEST m=+0.007426800
TRACK=rt_autodrom_most
CARS=["ks_mazda_mx5_cup"]
SENDING session name : Qualification
SENDING session index : 0
SENDING session type : 2
SENDING session time : 10
SENDING session laps : 0
CALLING http://93.57.10.21/lobby.ashx/register?name=x&port=9600
CONNECTED TO LOBBY
NEW PICKUP CONNECTION from  192.168.1.1:50834
VERSION 202
Mark Hannon
REQUESTED CAR: bmw_m3_e30*
Looking for available slot by name for GUID 76561198005431407 bmw_m3_e30
Slot found at index 3
DRIVER ACCEPTED FOR CAR 3
DRIVER: Mark Hannon []
SENDING http://93.57.10.21/lobby.ashx/ping?session=2&timeleft=600&port=9600&clients=1&track=x&pickup=1
Clean exit, driver disconnected:  Mark Hannon []
Clean exit, driver disconnected:  Somebody Unknown []
ERROR,SERVER NOT REGISTERED WITH LOBBY - PLEASE RESTART`;

  it('turns the real lines into events', () => {
    const p = new AcServerLogParser();
    const events: LogEvent[] = LOG.split('\n').flatMap((l) => p.feed(l + '\r'));
    expect(events).toEqual([
      { kind: 'version', version: 'v1.15' },
      { kind: 'server', version: 'v1.15', timestamp: '2022-07-22 10:42:32.8776464 +1000 AEST m=+0.007426800', track: 'rt_autodrom_most', cars: '["ks_mazda_mx5_cup"]', protocol: '202' },
      { kind: 'session', type: 'Qualify', time: 10, laps: 0 },
      { kind: 'lobby-calling', url: 'http://93.57.10.21/lobby.ashx/register?name=x&port=9600' },
      { kind: 'lobby-connected' },
      { kind: 'driver-joining', driver: { name: 'Mark Hannon', host: '192.168.1.1', port: 50834, car: 'bmw_m3_e30', guid: '76561198005431407', slot: 3 } },
      { kind: 'lobby-ping', url: 'http://93.57.10.21/lobby.ashx/ping?session=2&timeleft=600&port=9600&clients=1&track=x&pickup=1' },
      { kind: 'driver-leaving', name: 'Mark Hannon' },
      { kind: 'driver-leaving', name: 'Somebody Unknown' },
      { kind: 'lobby-error', line: 'ERROR,SERVER NOT REGISTERED WITH LOBBY - PLEASE RESTART' },
    ]);
  });
  it('ignores a DRIVER line without a connection before it', () => {
    expect(new AcServerLogParser().feed('DRIVER: Ghost []')).toEqual([]);
  });
});

describe('race results and grid', () => {
  const entries = readEntries(
    parseAcIni(
      [0, 1, 2, 3, 4]
        .map((i) => `[CAR_${i}]\nMODEL=car${i}\nSKIN=s${i}\nSPECTATOR_MODE=0\nDRIVERNAME=Entry ${i}\nTEAM=\nGUID=${i}\nBALLAST=5\nRESTRICTOR=0\nFIXED_SETUP=setup${i}.ini\n`)
        .join('\n'),
    ),
  );
  const result = makeRaceResult({
    track: 'magione',
    cars: [
      { carId: 2, name: 'Pickup Pete', guid: '99', model: 'car2', totalTimeMs: 600000 },
      { carId: 0, name: 'Entry 0', guid: '0', model: 'car0', totalTimeMs: 601000 },
      { carId: 3, name: 'Entry 3', guid: '3', model: 'car3', totalTimeMs: 602000 },
      { carId: 1, name: 'Entry 1', guid: '1', model: 'car1', totalTimeMs: 0 },
    ],
  });
  const parsed = parseRaceResult(JSON.stringify(result));
  const names = (slots: ReturnType<typeof buildGrid>) => slots.map((s) => `${s.keys.get('DRIVERNAME')}@${s.fromSlot}`);

  it('finish: finishers, then non-finishers, then slots absent from the results', () => {
    const grid = buildGrid(parsed, entries, 'finish', { track: 'magione', configTrack: '' });
    expect(names(grid)).toEqual(['Pickup Pete@2', 'Entry 0@0', 'Entry 3@3', 'Entry 1@1', 'Entry 4@4']);
    expect(grid[0]!.keys.get('GUID')).toBe('99');
    expect(grid[0]!.keys.get('FIXED_SETUP')).toBe('setup2.ini');
  });
  it('reverse: only the finishers are reversed; computing twice gives the same (no duplicates)', () => {
    const a = buildGrid(parsed, entries, 'reverse', { track: 'magione', configTrack: '' });
    const b = buildGrid(parsed, entries, 'reverse', { track: 'magione', configTrack: '' });
    expect(names(a)).toEqual(['Entry 3@3', 'Entry 0@0', 'Pickup Pete@2', 'Entry 1@1', 'Entry 4@4']);
    expect(names(b)).toEqual(names(a));
  });
  it('a result of another track is refused', () => {
    expect(() => buildGrid(parsed, entries, 'finish', { track: 'monza', configTrack: '' })).toThrow(/TrackName "magione" does not match TRACK "monza"/);
  });
  it('invalid results are named', () => {
    expect(() => parseRaceResult('{"TrackName": "x", "Cars": [], ')).toThrow(/invalid JSON/);
    expect(() => parseRaceResult(JSON.stringify({ ...result, Result: [{ CarId: 'x' }] }))).toThrow(/Result\[0\]\.CarId/);
    expect(() => parseRaceResult(JSON.stringify({ ...result, Type: 'QUALIFY' }))).toThrow(ResultsError);
  });
  it('renders a renumbered entry list with every key', () => {
    const doc = entryListDoc(buildGrid(parsed, entries, 'finish', { track: '', configTrack: '' }).map((s) => s.keys));
    expect([...doc.keys()]).toEqual(['CAR_0', 'CAR_1', 'CAR_2', 'CAR_3', 'CAR_4']);
    expect([...doc.get('CAR_0')!.keys()]).toEqual(['MODEL', 'SKIN', 'SPECTATOR_MODE', 'DRIVERNAME', 'TEAM', 'GUID', 'BALLAST', 'RESTRICTOR', 'FIXED_SETUP']);
  });
  it('reads the time in result file names', () => {
    expect(timeOfResultName('2019_2_15_21_16_RACE.json')).toBe(new Date(2019, 1, 15, 21, 16).getTime());
    expect(timeOfResultName('2019_2_15_21_16_QUALIFY.json')).toBeUndefined();
  });
});

describe('line protocol', () => {
  it('classifies client messages', () => {
    expect(parseClientLine('\n')).toEqual({ kind: 'ignore' });
    expect(parseClientLine('   ')).toEqual({ kind: 'empty' });
    expect(parseClientLine(' server   info ')).toEqual({ kind: 'command', line: 'server   info', family: 'server' });
    expect(parseClientLine('server')).toEqual({ kind: 'unrecognised', raw: 'server' });
    expect(parseClientLine('hello there')).toEqual({ kind: 'unrecognised', raw: 'hello there' });
    expect(parseClientLine('logon: {"protocol": "0.7"}')).toEqual({ kind: 'logon', payload: '{"protocol": "0.7"}' });
  });
  it('checks the logon protocol version', () => {
    expect(parseLogon('{"username": "mark", "password": "x", "protocol": "0.10"}', '0.7')).toEqual({ username: 'mark', protocol: '0.10' });
    expect(() => parseLogon('{"protocol": "0.6"}', '0.7')).toThrow(/not compatible with PROTOCOL version: 0.7 \(client sent 0.6\)/);
    expect(() => parseLogon('{"protocol": ', '0.7')).toThrow(LogonError);
    expect(() => parseLogon('{"username": "x"}', '0.7')).toThrow(/"protocol" must be a version/);
    expect(compareVersions('1.0', '0.9.9')).toBe(1);
    expect(compareVersions('0.7', '0.7.0')).toBe(0);
  });
  it('pretty-prints replies with an indent of 4', () => {
    expect(encodeData({ msg: 'x' })).toBe('{\n    "data": {\n        "msg": "x"\n    }\n}');
  });
});

describe('lobby URLs', () => {
  it('re-points a logged URL at the configured base, keeping path and query only', () => {
    expect(rebaseLobbyUrl('http://93.57.10.21/lobby.ashx/register?name=a%20b&port=9600', 'http://127.0.0.1:5555/lobby.ashx/')).toBe('http://127.0.0.1:5555/lobby.ashx/register?name=a%20b&port=9600');
    expect(rebaseLobbyUrl('http://evil.example/steal?x=1', 'http://127.0.0.1:1/lobby.ashx')).toBe('http://127.0.0.1:1/lobby.ashx/register?x=1');
  });
  it('judges replies and builds a register URL from server_cfg.ini', () => {
    expect(isLobbySuccess(200, 'OK')).toBe(true);
    expect(isLobbySuccess(200, 'ERROR,INVALID SERVER,CHECK YOUR PORT FORWARDING SETTINGS')).toBe(false);
    const url = new URL(buildRegisterUrl('http://x/lobby.ashx', parseAcIni(CFG)));
    expect(url.pathname).toBe('/lobby.ashx/register');
    expect(url.searchParams.get('cars')).toBe('ks_mazda_mx5_cup,bmw_m3_e30');
    expect(url.searchParams.get('sessions')).toBe('1,3');
    expect(url.searchParams.get('durations')).toBe('900,12');
  });
});
