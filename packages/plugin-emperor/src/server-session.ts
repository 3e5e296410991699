import { RateLimitedLog, type Clock, type ComponentStatus, type Logger, type PluginMetrics } from '@acgateway/core';
import { ReconnectingSocket, type StateChange as SocketChange } from './client/connection.js';
import { defaultOrigin, displayUrl, type EmperorOptions, type EmperorServerOptions } from './options.js';
import { RaceState, type StateChange } from './state/race-state.js';
import { compileTeamRule, type TeamMatcher } from './state/team.js';
import { decodeFrame } from './wire/decode.js';
import type { Driver, RaceControlEvent } from './wire/types.js';
import type { DriversPayload, ServerStatus, StatePayload, TeamPayload } from './payloads.js';

export interface SessionDeps {
  publish(topic: string, data: unknown, options?: { retain?: boolean }): void;
  logger: Logger;
  countBadInput(kind: string): void;
  clock: Clock;
  frames: ReturnType<PluginMetrics['counter']>;
  connected: ReturnType<PluginMetrics['gauge']>;
}

/** One named Server Manager: its connection, its decoded state, and what it publishes. */
export class ServerSession {
  readonly name: string;
  readonly url: string;
  readonly state = new RaceState();
  private readonly socket: ReconnectingSocket;
  private readonly team: TeamMatcher | null;
  private readonly badLog = new RateLimitedLog(10_000);
  private readonly topic: string;
  private lastLoggedFailure: string | null = null;
  private frames = 0;
  private readonly badInput: Record<string, number> = {};
  private ignoredCarUpdates = 0;

  constructor(private readonly server: EmperorServerOptions, options: EmperorOptions, private readonly deps: SessionDeps) {
    this.name = server.name;
    this.url = server.url;
    this.topic = `emperor/${server.name}`;
    this.team = compileTeamRule({ tag: server.teamTag, teamName: server.teamName });
    const origin = server.origin === false ? undefined : (server.origin ?? defaultOrigin(this.url));
    this.socket = new ReconnectingSocket(
      {
        url: this.url,
        origin,
        cookie: server.cookie,
        handshakeTimeoutMs: options.handshakeTimeoutMs,
        pingIntervalMs: options.pingIntervalMs,
        deadAfterMs: options.deadAfterMs,
        maxPayloadBytes: options.maxPayloadBytes,
        reconnect: options.reconnect,
      },
      { onFrame: (data, isBinary) => this.onFrame(data, isBinary), onState: (c) => this.onSocketState(c) },
      () => deps.clock.now(),
    );
  }

  get hasTeamRule(): boolean {
    return this.team !== null;
  }

  start(): void {
    this.socket.start();
  }

  async stop(): Promise<void> {
    await this.socket.stop();
  }

  sourceStatus(): ComponentStatus {
    const s = this.socket.status();
    const state = s.state === 'open' ? 'connected' : s.state;
    return s.state === 'open' || !s.lastError ? { state } : { state, reason: s.lastError };
  }

  private onSocketState(change: SocketChange): void {
    const log = this.deps.logger;
    const url = displayUrl(this.url);
    this.deps.connected.labels(this.name).set(change.state === 'open' ? 1 : 0);
    switch (change.state) {
      case 'open':
        log.info({ server: this.name, url }, `${this.name}: connected to ${url}`);
        this.lastLoggedFailure = null;
        break;
      case 'retrying': {
        const reason = change.reason ?? 'unknown';
        const retry = `retrying in ${change.retryInMs} ms`;
        if (change.previous === 'open') log.warn({ server: this.name, url, reason }, `${this.name}: connection lost: ${reason}; ${retry}`);
        else if (reason !== this.lastLoggedFailure) log.warn({ server: this.name, url, reason }, `${this.name}: cannot connect to ${url}: ${reason}; ${retry}, backing off`);
        else log.debug({ server: this.name, reason, attempts: change.attempts }, `${this.name}: still failing (${change.attempts} attempts); ${retry}`);
        this.lastLoggedFailure = reason;
        break;
      }
      case 'stopped':
        log.info({ server: this.name }, `${this.name}: stopped`);
        break;
      default:
        log.debug({ server: this.name, url }, `${this.name}: connecting to ${url}`);
    }
    this.publishState();
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    this.frames++;
    try {
      const r = decodeFrame(data);
      if (!r.ok) {
        this.bad(r.kind, r.message);
        return;
      }
      if (isBinary) this.deps.logger.debug({ server: this.name }, `${this.name}: binary frame decoded as text`);
      for (const p of r.problems) this.bad(p.kind, p.message);
      this.deps.frames.labels(this.name, r.event.name).inc();
      this.apply(r.event);
    } catch (err) {
      // A fault of ours must not take the host down from inside a socket callback.
      this.bad('internal_error', `failed to handle a frame: ${(err as Error).stack ?? String(err)}`);
    }
  }

  private bad(kind: string, message: string): void {
    this.badInput[kind] = (this.badInput[kind] ?? 0) + 1;
    this.deps.countBadInput(kind);
    this.badLog.log(kind, (suppressed) => {
      const more = suppressed ? ` (${suppressed} more of this kind not logged)` : '';
      const fields = { server: this.name, kind, suppressed };
      // An empty frame is how a freshly started manager says "no snapshot yet": not the server's fault.
      if (kind === 'empty_frame') this.deps.logger.info(fields, `${this.name}: ${message}${more}`);
      else if (kind === 'internal_error') this.deps.logger.error(fields, `${this.name}: ${message}${more}`);
      else this.deps.logger.warn(fields, `${this.name}: ignored a frame: ${message}${more}`);
    });
  }

  private apply(event: RaceControlEvent): void {
    const now = this.deps.clock.now();
    const s = this.state;
    let change: StateChange | undefined;
    switch (event.eventType) {
      case 200:
        change = s.applySnapshot(event.data, now);
        break;
      case 50:
        change = s.applyNewSession(event.data, now);
        this.publishEvent(event.name, event.data);
        break;
      case 51:
        change = s.applyNewConnection(event.data, now);
        this.publishEvent(event.name, event.data);
        break;
      case 52: {
        const before = s.driver(event.data.guid);
        change = s.applyConnectionClosed(event.data);
        this.publishEvent(event.name, { ...event.data, laps: before?.laps ?? 0, totalLaps: before?.totalLaps ?? 0, bestLapMs: before?.bestLapMs ?? null });
        break;
      }
      case 53: {
        const d = s.applyCarUpdate(event.data, now);
        // The server only sends these for connected drivers; one for an unknown car is a race with a 51, not garbage.
        if (!d) this.ignoredCarUpdates++;
        else this.publishEvent(event.name, { guid: d.guid, name: d.name, ...event.data });
        break;
      }
      case 56:
        change = s.applyVersion(event.data.protocolVersion);
        this.publishEvent(event.name, event.data);
        break;
      case 57:
        if (s.applyChat(event.data)) this.publishEvent(event.name, event.data);
        break;
      case 58: {
        change = s.applyClientLoaded(event.data.carId, now);
        this.publishEvent(event.name, { ...this.who(event.data.carId), ...event.data });
        break;
      }
      case 10:
      case 11: {
        const other = event.data.otherCarId === null ? {} : prefixed(this.who(event.data.otherCarId));
        this.publishEvent(event.name, { ...this.who(event.data.carId), ...other, ...event.data });
        break;
      }
      default:
        this.deps.logger.debug({ server: this.name, eventType: event.eventType }, `${this.name}: EventType ${event.eventType} is not forwarded by known builds; passed on as is`);
        this.publishEvent(event.name, { eventType: event.eventType, ...event.data });
    }
    if (!change) return;
    for (const lap of change.laps) this.publishEvent('lap_completed', lap);
    if (change.drivers) this.publishDrivers();
    if (change.state) this.publishState();
  }

  private who(carId: number): { guid: string | null; name: string | null } {
    const guid = this.state.guidOfCar(carId);
    const d = guid === undefined ? undefined : this.state.driver(guid);
    return { guid: guid ?? null, name: d?.name ?? null };
  }

  private publishEvent(name: string, data: object): void {
    this.deps.publish(`${this.topic}/event/${name}`, { server: this.name, ...data });
  }

  private publishDrivers(): void {
    this.deps.publish(`${this.topic}/drivers`, this.drivers());
    if (this.team) this.deps.publish(`${this.topic}/team`, this.teamDrivers(), { retain: true });
  }

  private publishState(): void {
    this.deps.publish(`${this.topic}/state`, this.stateView(), { retain: true });
  }

  drivers(): DriversPayload {
    const s = this.state;
    return {
      server: this.name,
      session: s.session ? { name: s.session.name, type: s.session.type, track: s.session.track, trackConfig: s.session.trackConfig } : null,
      connected: s.connectedDrivers(),
      disconnected: s.disconnectedDrivers(),
    };
  }

  /** Recomputed from the current lists each time, so it cannot grow or point at a driver who left. */
  teamDrivers(): TeamPayload {
    const match = this.team ?? (() => false);
    const keep = (list: Driver[]) => list.filter((d) => match(d));
    return {
      server: this.name,
      rule: { tag: this.server.teamTag ?? null, teamName: this.server.teamName ?? null },
      connected: keep(this.state.connectedDrivers()),
      disconnected: keep(this.state.disconnectedDrivers()),
    };
  }

  stateView(): StatePayload {
    const s = this.state;
    const sock = this.socket.status();
    const connected = s.connectedDrivers();
    const leaderLaps = connected.reduce((max, d) => Math.max(max, d.totalLaps), 0);
    const session = s.session;
    return {
      server: this.name,
      url: displayUrl(this.url),
      connection: { state: sock.state, since: sock.since, attempts: sock.attempts, lastError: sock.lastError, nextRetryAt: sock.nextRetryAt },
      hasSnapshot: s.hasSnapshot,
      snapshotAt: s.snapshotAt,
      session,
      track: s.track,
      trackMap: s.trackMap,
      sessionStartedAt: s.sessionStartedAt,
      sessionEndsAt: session && session.timeMinutes > 0 && s.sessionStartedAt !== null ? s.sessionStartedAt + session.timeMinutes * 60_000 : null,
      lapsRemaining: session && session.timeMinutes === 0 && session.laps > 0 ? Math.max(0, session.laps - leaderLaps) : null,
      realtimeIntervalMs: s.realtimeIntervalMs,
      bestLapMs: s.bestLapMs,
      protocolVersion: s.protocolVersion,
      drivers: { connected: connected.length, disconnected: s.disconnectedDrivers().length },
      team: this.team ? connected.filter(this.team).length : null,
    };
  }

  status(): ServerStatus {
    const sock = this.socket.status();
    return {
      ...this.stateView(),
      connects: sock.connects,
      lastReceivedAt: sock.lastReceivedAt,
      frames: this.frames,
      snapshots: this.state.snapshots,
      badInput: { ...this.badInput },
      ignoredCarUpdates: this.ignoredCarUpdates,
    };
  }
}

function prefixed(w: { guid: string | null; name: string | null }): { otherGuid: string | null; otherName: string | null } {
  return { otherGuid: w.guid, otherName: w.name };
}
