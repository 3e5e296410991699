import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AcwsOptionsInput } from '../options.js';
import { portInUse } from '../port-check.js';

/**
 * The fake acServer shipped with the package (`fake/acServer.mjs`, beside src/ and dist/): prints
 * the real log lines, holds the server's ports, exits on SIGTERM/SIGINT, crashes on SIGUSR1 or
 * `--crash-after MS`. With `--stracker` it stands in for stracker. Options are listed at its top.
 */
export const fakeAcServerPath: string = fileURLToPath(new URL('../../fake/acServer.mjs', import.meta.url));

/** How to run the fake in place of acServer: `acServer: fakeAcServerCommand('--join', '2')`. */
export function fakeAcServerCommand(...fakeArgs: string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: [fakeAcServerPath, ...fakeArgs] };
}

export interface SandboxDriver {
  name: string;
  guid: string;
  model?: string;
  skin?: string;
  team?: string;
}

export interface SandboxOptions {
  /** Server NAME. */
  name?: string;
  track?: string;
  configTrack?: string;
  /** CARS of server_cfg.ini; the drivers' models by default. */
  cars?: string[];
  /** Entry-list slots in order; default five pickup drivers. */
  drivers?: SandboxDriver[];
  /** Ports to write into the ini files; free ones are picked by default. */
  ports?: Partial<SandboxPorts>;
  /**
   * Write a race result: by default slots 2, 0, 3 finish, slot 1 does not finish, and the last slot
   * is absent from the results (it joined the entry list later). `false`: results/ stays empty.
   */
  results?: boolean;
  /** Write stracker/stracker.ini (default true). */
  stracker?: boolean;
}

export interface SandboxPorts {
  /** TCP_PORT and UDP_PORT (the same number, as usual for acServer). */
  game: number;
  http: number;
  stracker: number;
}

export interface SandboxServerRoot {
  root: string;
  track: string;
  ports: SandboxPorts;
  drivers: Required<SandboxDriver>[];
  /** The race result written (absolute path), if any. */
  resultFile: string | undefined;
  /**
   * Plugin options that run the fake in this folder: `acws(sandbox.pluginOptions({ acws: { port: 0 } }))`.
   * `fakeArgs` go to the fake acServer (e.g. `['--join', '3']`).
   */
  pluginOptions(extra?: Partial<AcwsOptionsInput> & { fakeArgs?: string[] }): AcwsOptionsInput;
}

const DEFAULT_DRIVERS: SandboxDriver[] = [
  { name: 'Alice Archer', guid: '76561198000000001' },
  { name: 'Bruno Brandt', guid: '76561198000000002' },
  { name: 'Chloe Chen', guid: '76561198000000003' },
  { name: 'Dario Duarte', guid: '76561198000000004' },
  { name: '#5 Emil Eriksen', guid: '76561198000000005' },
];

/*
 * Below every OS's default ephemeral range (Linux 32768-60999, Windows and macOS 49152-65535): a
 * port handed to listen(0) or to an outgoing connection (any client socket on the machine) can
 * later make acServer's port "in use"; a port from here is taken only by what chose it on purpose.
 */
const SANDBOX_PORTS = { from: 20000, to: 32000 };

async function freeSandboxPort(taken: ReadonlySet<number>, udpToo = false): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = SANDBOX_PORTS.from + Math.floor(Math.random() * (SANDBOX_PORTS.to - SANDBOX_PORTS.from));
    if (taken.has(port) || (await portInUse(port, 'tcp'))) continue;
    if (!udpToo || !(await portInUse(port, 'udp'))) return port;
  }
  throw new Error(`no free port between ${SANDBOX_PORTS.from} and ${SANDBOX_PORTS.to} after 200 tries`);
}

/** Free ports for a sandbox (TCP and UDP free on the same number for the game port). */
export async function pickSandboxPorts(): Promise<SandboxPorts> {
  const taken = new Set<number>();
  const pick = async (udpToo?: boolean) => {
    const port = await freeSandboxPort(taken, udpToo);
    taken.add(port);
    return port;
  };
  const game = await pick(true);
  return { game, http: await pick(), stracker: await pick() };
}

export interface RaceResultCar {
  carId: number;
  name: string;
  guid: string;
  model: string;
  skin?: string;
  /** ms; 0 = did not finish. */
  totalTimeMs: number;
}

/** A race result in the stock AC format (`results/*_RACE.json`), classification in the given order. */
export function makeRaceResult(opts: { track: string; configTrack?: string; laps?: number; cars: RaceResultCar[] }) {
  const laps = opts.laps ?? 5;
  return {
    TrackName: opts.track,
    TrackConfig: opts.configTrack ?? '',
    Type: 'RACE',
    DurationSecs: 0,
    RaceLaps: laps,
    Cars: [...opts.cars]
      .sort((a, b) => a.carId - b.carId)
      .map((c) => ({ CarId: c.carId, Driver: { Name: c.name, Team: '', Nation: '', Guid: c.guid, GuidsList: [c.guid] }, Model: c.model, Skin: c.skin ?? '00_official', BallastKG: 0, Restrictor: 0 })),
    Result: opts.cars.map((c) => ({
      DriverName: c.name,
      DriverGuid: c.guid,
      CarId: c.carId,
      CarModel: c.model,
      BestLap: c.totalTimeMs > 0 ? Math.round(c.totalTimeMs / laps) - 500 : 999999999,
      TotalTime: c.totalTimeMs,
      BallastKG: 0,
      Restrictor: 0,
    })),
    Laps: opts.cars
      .filter((c) => c.totalTimeMs > 0)
      .flatMap((c) =>
        Array.from({ length: laps }, (_, i) => ({
          DriverName: c.name,
          DriverGuid: c.guid,
          CarId: c.carId,
          CarModel: c.model,
          Timestamp: 1000 + i,
          LapTime: Math.round(c.totalTimeMs / laps),
          Sectors: [30000, 30000, Math.round(c.totalTimeMs / laps) - 60000],
          Cuts: 0,
          BallastKG: 0,
          Tyre: 'SM',
          Restrictor: 0,
        })),
      ),
    Events: [],
  };
}

/** `YYYY_M_D_H_M_RACE.json`, acServer's (unpadded) naming. */
export function raceResultName(d: Date): string {
  return `${d.getFullYear()}_${d.getMonth() + 1}_${d.getDate()}_${d.getHours()}_${d.getMinutes()}_RACE.json`;
}

function serverCfg(o: { name: string; track: string; configTrack: string; cars: string[]; ports: SandboxPorts; maxClients: number }): string {
  return `; acServer configuration written by the acgateway sandbox
[SERVER]
NAME=${o.name}
CARS=${o.cars.join(';')}
CONFIG_TRACK=${o.configTrack}
TRACK=${o.track}
SUN_ANGLE=48
PASSWORD=
ADMIN_PASSWORD=sandbox-admin
UDP_PORT=${o.ports.game}
TCP_PORT=${o.ports.game}
HTTP_PORT=${o.ports.http}
MAX_BALLAST_KG=150
QUALIFY_MAX_WAIT_PERC=120
RACE_PIT_WINDOW_START=0
RACE_PIT_WINDOW_END=0
REVERSED_GRID_RACE_POSITIONS=0
LOCKED_ENTRY_LIST=0
PICKUP_MODE_ENABLED=1
LOOP_MODE=1
SLEEP_TIME=1
CLIENT_SEND_INTERVAL_HZ=18
SEND_BUFFER_SIZE=0
RECV_BUFFER_SIZE=0
RACE_OVER_TIME=180
KICK_QUORUM=85
VOTING_QUORUM=80
VOTE_DURATION=20
BLACKLIST_MODE=1
FUEL_RATE=100
DAMAGE_MULTIPLIER=100
TYRE_WEAR_RATE=100
ALLOWED_TYRES_OUT=2
ABS_ALLOWED=1
TC_ALLOWED=1
START_RULE=2
RACE_GAS_PENALTY_DISABLED=0
TIME_OF_DAY_MULT=1
RESULT_SCREEN_TIME=60
MAX_CONTACTS_PER_KM=-1
STABILITY_ALLOWED=0
AUTOCLUTCH_ALLOWED=1
TYRE_BLANKETS_ALLOWED=1
FORCE_VIRTUAL_MIRROR=0
REGISTER_TO_LOBBY=1
MAX_CLIENTS=${o.maxClients}
NUM_THREADS=2
UDP_PLUGIN_LOCAL_PORT=0
UDP_PLUGIN_ADDRESS=
AUTH_PLUGIN_ADDRESS=
LEGAL_TYRES=
RACE_EXTRA_LAP=0
WELCOME_MESSAGE=

[FTP]
HOST=
LOGIN=
PASSWORD=
FOLDER=
LINUX=0

[PRACTICE]
NAME=Practice
TIME=10
IS_OPEN=1

[QUALIFY]
NAME=Qualify
TIME=10
IS_OPEN=1

[RACE]
NAME=Race
LAPS=5
WAIT_TIME=60
IS_OPEN=1

[DYNAMIC_TRACK]
SESSION_START=96
RANDOMNESS=1
SESSION_TRANSFER=80
LAP_GAIN=10

[WEATHER_0]
GRAPHICS=3_clear
BASE_TEMPERATURE_AMBIENT=18
BASE_TEMPERATURE_ROAD=6
VARIATION_AMBIENT=1
VARIATION_ROAD=1
WIND_BASE_SPEED_MIN=3
WIND_BASE_SPEED_MAX=15
WIND_BASE_DIRECTION=30
WIND_VARIATION_DIRECTION=15
`.replace(/\n/g, '\r\n');
}

function entryList(drivers: Required<SandboxDriver>[]): string {
  return drivers
    .map(
      (d, i) => `[CAR_${i}]
MODEL=${d.model}
SKIN=${d.skin}
SPECTATOR_MODE=0
DRIVERNAME=${d.name}
TEAM=${d.team}
GUID=${d.guid}
BALLAST=0
RESTRICTOR=0
FIXED_SETUP=
AI=none
`,
    )
    .join('\n')
    .replace(/\n/g, '\r\n');
}

/**
 * Writes a plausible acServer folder into `dir` (created if needed): cfg/server_cfg.ini,
 * cfg/entry_list.ini (with keys the original did not know: FIXED_SETUP, AI), results/ with one race
 * result, stracker/stracker.ini, and an empty logs/. Returns what was written and plugin options
 * that run the fake acServer there.
 */
export async function createSandboxServerRoot(dir: string, opts: SandboxOptions = {}): Promise<SandboxServerRoot> {
  const root = path.resolve(dir);
  const track = opts.track ?? 'magione';
  const drivers = (opts.drivers ?? DEFAULT_DRIVERS).map((d, i) => ({
    name: d.name,
    guid: d.guid,
    model: d.model ?? (i % 2 === 0 ? 'ks_mazda_mx5_cup' : 'bmw_m3_e30'),
    skin: d.skin ?? '00_official',
    team: d.team ?? '',
  }));
  const cars = opts.cars ?? [...new Set(drivers.map((d) => d.model))];
  const ports = { ...(await pickSandboxPorts()), ...opts.ports };
  await fs.mkdir(path.join(root, 'cfg'), { recursive: true });
  await fs.mkdir(path.join(root, 'results'), { recursive: true });
  await fs.mkdir(path.join(root, 'logs'), { recursive: true });
  await fs.writeFile(path.join(root, 'cfg', 'server_cfg.ini'), serverCfg({ name: opts.name ?? 'acgateway sandbox', track, configTrack: opts.configTrack ?? '', cars, ports, maxClients: drivers.length }));
  await fs.writeFile(path.join(root, 'cfg', 'entry_list.ini'), entryList(drivers));
  let resultFile: string | undefined;
  if (opts.results !== false && drivers.length > 0) {
    const order = [2, 0, 3, 1].filter((i) => i < drivers.length - (drivers.length > 1 ? 1 : 0));
    if (order.length === 0) order.push(0);
    const finished = new Set(order.slice(0, Math.max(1, order.length - 1)));
    const result = makeRaceResult({
      track,
      configTrack: opts.configTrack,
      cars: order.map((i, pos) => ({ carId: i, name: drivers[i]!.name, guid: drivers[i]!.guid, model: drivers[i]!.model, skin: drivers[i]!.skin, totalTimeMs: finished.has(i) ? 600000 + pos * 1500 : 0 })),
    });
    resultFile = path.join(root, 'results', raceResultName(new Date(2024, 4, 12, 20, 15)));
    await fs.writeFile(resultFile, JSON.stringify(result, null, 2));
  }
  if (opts.stracker !== false) {
    await fs.mkdir(path.join(root, 'stracker'), { recursive: true });
    await fs.writeFile(
      path.join(root, 'stracker', 'stracker.ini'),
      `[STRACKER_CONFIG]\r\nac_server_address=127.0.0.1\r\nac_server_cfg_ini=../cfg/server_cfg.ini\r\nlog_file=./stracker.log\r\nlistening_port=${ports.stracker}\r\nserver_name=acgateway sandbox\r\n`,
    );
  }
  return {
    root,
    track,
    ports,
    drivers,
    resultFile,
    pluginOptions(extra = {}) {
      const { fakeArgs = [], acServer, stracker, ...rest } = extra;
      return {
        root,
        ...rest,
        acServer: { ...fakeAcServerCommand(...fakeArgs), startupGraceMs: 3000, ...acServer },
        stracker: { ...fakeAcServerCommand('--stracker'), startupGraceMs: 300, ...stracker },
      };
    },
  };
}
