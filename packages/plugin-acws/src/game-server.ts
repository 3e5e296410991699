import { CommandError } from '@acgateway/core';
import type { Logger } from '@acgateway/core';
import { ControlledProcess } from './controlled-process.js';
import type { AcwsEvents } from './events.js';
import { AcServerLogParser, type LogEvent } from './wire/acserver-log.js';
import { viewEntries } from './wire/entry-list.js';
import { forReadOnly, type DriverInfo } from './wire/line-protocol.js';
import { portsOf, type ServerCfgView, type SessionView } from './wire/server-cfg.js';
import type { Lobby } from './lobby.js';
import { fileStamp, type ProcessSpec, type RunInfo } from './managed-process.js';
import { firstBusyPort } from './port-check.js';
import type { ServerConfig } from './server-config.js';
import type { ServerFiles } from './server-files.js';

export interface GameServerDeps {
  spec: ProcessSpec;
  files: ServerFiles;
  config: ServerConfig;
  lobby: Lobby;
  events: AcwsEvents;
  logger: Logger;
  /** Refuse a start when acServer's ports are taken (another acServer running). */
  checkPorts: boolean;
  onBadInput: (kind: string, message: string) => void;
}

export type Role = 'admin' | 'read';

/**
 * acServer: its process, what its log says (version, session, drivers, lobby), and the files a
 * start touches. Start, stop and restart run one at a time.
 */
export class GameServer extends ControlledProcess<{ msg: string; 'AC Server': RunInfo; grid_applied: boolean }> {
  private parser = new AcServerLogParser();
  private version = 'n/a';
  private timestamp = 'n/a';
  private activeSession: string | undefined;
  private readonly drivers = new Map<string, DriverInfo>();

  constructor(private readonly deps: GameServerDeps) {
    super('acServer', deps.spec, deps.events, deps.logger);
    this.process.on('line', (line) => this.onLine(line));
    this.process.on('overlong', (n) => deps.onBadInput('log-line-too-long', `acServer printed a line of ${n} characters; cut`));
  }

  protected override onExit(): void {
    this.resetRunState();
  }

  private resetRunState(): void {
    this.parser = new AcServerLogParser();
    this.version = 'n/a';
    this.timestamp = 'n/a';
    this.activeSession = undefined;
    const had = this.drivers.size > 0;
    this.drivers.clear();
    if (had) this.deps.events.emit('drivers', []);
    this.deps.lobby.reset();
  }

  private onLine(line: string): void {
    for (const ev of this.parser.feed(line)) this.onLogEvent(ev);
  }

  private onLogEvent(ev: LogEvent): void {
    const events = this.deps.events;
    switch (ev.kind) {
      case 'version':
        this.version = ev.version;
        break;
      case 'server':
        this.version = ev.version || this.version;
        this.timestamp = ev.timestamp || this.timestamp;
        events.emit('banner', { version: this.version, timestamp: this.timestamp, track: ev.track, cars: ev.cars, msg: 'Assetto Corsa Dedicated Server starting' });
        break;
      case 'session':
        this.activeSession = ev.type;
        events.emit('session', { type: ev.type, laps: ev.laps, time: ev.time });
        break;
      case 'driver-joining': {
        const d: DriverInfo = { ...ev.driver, ballast: 0, restrictor: 0, msg: 'joining' };
        this.drivers.set(d.name, d);
        events.emit('driver', d);
        events.emit('drivers', [...this.drivers.values()]);
        break;
      }
      case 'driver-leaving': {
        const known = this.drivers.get(ev.name);
        // A driver who joined before we were watching is unknown: still report the leave (the original crashed here).
        const d: DriverInfo = known
          ? { ...known, msg: 'leaving' }
          : { name: ev.name, host: '', port: 0, car: '', guid: '', ballast: 0, restrictor: 0, slot: 0, msg: 'leaving' };
        this.drivers.delete(ev.name);
        events.emit('driver', d);
        events.emit('drivers', [...this.drivers.values()]);
        break;
      }
      default:
        this.deps.lobby.onLog(ev);
    }
  }

  driversView(role: Role): Record<string, DriverInfo> {
    const out: Record<string, DriverInfo> = {};
    for (const d of this.drivers.values()) out[d.name] = { ...d };
    return role === 'admin' ? out : forReadOnly(out);
  }

  async sessionsView(view?: ServerCfgView): Promise<Record<string, SessionView>> {
    view ??= (await this.deps.config.current()).view;
    for (const s of Object.values(view.sessions)) s.active = this.running && s.type === this.activeSession;
    return view.sessions;
  }

  /** `server info`, in the original's shape. Read-only callers get it without the install folder and drivers' addresses. */
  async info(role: Role): Promise<Record<string, unknown>> {
    const { view } = await this.deps.config.current();
    const entries = await this.deps.files.readEntryList().then((f) => viewEntries(f.entries));
    const sessions = await this.sessionsView(view);
    const info = {
      directory: this.deps.files.root,
      child_ini_file: 'cfg/server_cfg.ini',
      child_title: 'AC Server',
      child_short: 'AC Server',
      is_optional: false,
      version: this.version,
      timestamp: this.timestamp,
      name: view.name,
      track: view.track,
      cars: view.cars,
      http_port: view.http_port,
      tcp_port: view.tcp_port,
      udp_port: view.udp_port,
      drivers: this.driversView('admin'),
      entries,
      sessions,
      lobby: this.deps.lobby.info(),
      running: this.running,
      state: this.process.state,
      pending_edits: this.deps.config.hasPendingEdits,
    };
    return role === 'admin' ? info : forReadOnly(info);
  }

  protected async startNow(): Promise<{ msg: string; 'AC Server': RunInfo; grid_applied: boolean }> {
    // Checked before touching any file (the original swapped the grid in even when already running).
    if (this.running) throw new CommandError('ALREADY_RUNNING', 'start command ignored - AC Server already running');
    const fail = (err: unknown): never => {
      const e = err instanceof CommandError ? err : new CommandError('START_FAILED', (err as Error).message);
      throw new CommandError(e.code, `start command failed - ${e.message}`, e.details);
    };
    const cfg = await this.deps.config.current().catch(fail);
    await this.deps.files.readEntryList().catch(fail);
    if (this.deps.checkPorts) {
      const ports = portsOf(cfg.view);
      const busy = await firstBusyPort([
        { port: ports.tcp, protocol: 'tcp', what: 'TCP_PORT' },
        { port: ports.udp, protocol: 'udp', what: 'UDP_PORT' },
        { port: ports.http, protocol: 'tcp', what: 'HTTP_PORT' },
      ]);
      if (busy) {
        this.deps.onBadInput('port-in-use', `${busy} is in use`);
        throw new CommandError('PORT_IN_USE', `start command failed - ${busy} of cfg/server_cfg.ini is already in use: another acServer running?`);
      }
    }
    const { applied } = await this.deps.files.applySavedGrid().catch(fail);
    await this.deps.files.snapshotConfig(fileStamp(new Date())).catch(fail);
    this.resetRunState();
    const run = await this.spawn({ gridApplied: applied });
    return { msg: 'AC Server started', 'AC Server': run, grid_applied: applied };
  }
}
