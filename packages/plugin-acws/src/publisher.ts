import type { AcwsApi } from './plugin.js';
import type { AcwsEvents } from './events.js';
import type { DriverInfo } from './wire/line-protocol.js';
import type { RunInfo } from './managed-process.js';

/** A driver as published on the bus: no address (any gateway subscriber, read-only ones too, sees topics). */
function publicDriver(d: DriverInfo) {
  return { name: d.name, car: d.car, guid: d.guid, slot: d.slot };
}

function status(run: RunInfo, state: string) {
  return { state, running: run.running, pid: run.pid, since: run.since, log_file: run.log_file };
}

/**
 * Turns the plugin's events into `acws/*` topics (documented in the README). Returns the
 * publication of the initial retained values, for the source's start.
 */
export function publishEvents(api: AcwsApi, events: AcwsEvents, current: { acServer: () => RunInfo; stracker: () => RunInfo | undefined }): () => void {
  const ts = () => new Date(api.deps.clock.now()).toISOString();
  events.on('banner', (e) => api.publish('acws/server/info', { version: e.version, timestamp: e.timestamp, track: e.track, cars: e.cars }, { retain: true }));
  events.on('session', (e) => api.publish('acws/session', { type: e.type, laps: e.laps, time_min: e.time, active: true }, { retain: true }));
  events.on('driver', (d) => {
    if (d.msg === 'joining') api.publish('acws/driver/joined', { ...publicDriver(d), ts: ts() });
    else api.publish('acws/driver/left', { ...publicDriver(d), ts: ts() });
  });
  events.on('drivers', (list) => api.publish('acws/drivers', { count: list.length, drivers: list.map(publicDriver) }, { retain: true }));
  events.on('lobby', (l) => api.publish('acws/lobby', l, { retain: true }));
  events.on('grid', (g) => api.publish('acws/grid', g, { retain: true }));
  events.on('configWritten', (e) => api.publish('acws/config/written', { ...e, ts: ts() }));
  events.on('process', (e) => {
    const base = e.who === 'acServer' ? 'acws/server' : 'acws/tracker';
    const state = e.what === 'started' ? 'running' : e.what;
    api.publish(`${base}/status`, status(e.run, state), { retain: true });
    if (e.what === 'started') {
      api.publish(`${base}/started`, { pid: e.run.pid, cmd: e.run.cmd, cwd: e.run.cwd, log_file: e.run.log_file, ts: ts() });
    } else if (e.exit) {
      api.publish(`${base}/exited`, {
        code: e.exit.code,
        signal: e.exit.signal,
        expected: e.exit.expected,
        during_startup: e.exit.duringStartup,
        uptime_s: Math.round(e.exit.uptimeMs / 100) / 10,
        ts: ts(),
      });
    }
  });
  return () => {
    api.publish('acws/server/status', status(current.acServer(), 'stopped'), { retain: true });
    const tr = current.stracker();
    if (tr) api.publish('acws/tracker/status', status(tr, 'stopped'), { retain: true });
    api.publish('acws/drivers', { count: 0, drivers: [] }, { retain: true });
  };
}
