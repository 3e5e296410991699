// @ts-check
// The page's state, fed with gateway messages; no DOM here, so Node tests import it as it is.
// Messages only change the model and mark what changed; app.js draws the marked parts at most once
// per screen frame.

/** Topics the page subscribes to, with the gateway policy for each. */
export const SUBSCRIPTIONS = {
  // `+/acudp/...`: the timing of other gateways bridged here (plugin-nats imports them as <node>/acudp/...).
  latest: [
    'core/status', 'acudp/state', 'acudp/car_update', '+/acudp/state', '+/acudp/car_update', 'rf2/telemetry', 'rf2/status', 'robocar/frame', 'robocar/status',
    // Emperor race control, per server; the AC server that acws runs.
    'emperor/+/state', 'emperor/+/drivers', 'emperor/+/team',
    'acws/server/status', 'acws/server/info', 'acws/session', 'acws/drivers', 'acws/lobby',
  ],
  // Every lap completion matters (it is highlighted), so these are queued, not conflated.
  queue: ['acudp/lap_completed', '+/acudp/lap_completed'],
};

/** `acudp/state` -> ['', 'state']; `track1/acudp/state` -> ['track1', 'state']; anything else: null. */
const AC_TOPIC = /^(?:([^/]+)\/)?acudp\/(state|car_update|lap_completed)$/;

/**
 * One AC timing board: this gateway's own (node '') or another gateway's, bridged here.
 * @typedef {{ state: any, speeds: Map<number, number>, flash: Map<number, number>, recentLaps: Array<{carId: number, driver: string, lapTimeMs: number, cuts: number, at: number}> }} AcBoard
 */
/** @returns {AcBoard} */
const newBoard = () => ({ state: null, speeds: new Map(), flash: new Map(), recentLaps: [] });

/** The panels: shown when their plugin is loaded, stale when their live topic stops. */
export const PANELS = {
  gateway: { plugin: 'core', live: 'core/status' },
  ac: { plugin: 'acudp', live: 'acudp/car_update' },
  rf2: { plugin: 'rf2', live: 'rf2/telemetry' },
  robocar: { plugin: 'robocar', live: 'robocar/frame' },
  // No stream to go quiet: race control sends snapshots, acws events.
  emperor: { plugin: 'emperor', live: null },
  acws: { plugin: 'acws', live: null },
};

const EMPEROR_TOPIC = /^emperor\/([^/]+)\/(state|drivers|team)$/;

/** A topic is stale after this long without a message, or five of its usual intervals if longer. */
export const STALE_MIN_MS = 3000;
export const STALE_INTERVALS = 5;
/** A topic counts as a stream (and can go stale) after messages in this many status intervals in a row. */
export const STREAM_STREAK = 5;
/** How long a completed lap stays highlighted. */
export const LAP_FLASH_MS = 2500;
/** AC sends "no time" as this. */
const NO_TIME = 999999999;

/**
 * @param {number} lastAt
 * @param {number} intervalMs typical interval between messages (0 = unknown)
 * @param {number} now
 */
export function isStale(lastAt, intervalMs, now) {
  if (!lastAt) return false;
  return now - lastAt > Math.max(STALE_MIN_MS, STALE_INTERVALS * intervalMs);
}

/** @param {number | null | undefined} ms lap time in ms -> `m:ss.mmm`, or an em dash for none. */
export function formatLap(ms) {
  if (ms == null || !Number.isFinite(ms) || ms <= 0 || ms >= NO_TIME) return '—';
  const m = Math.floor(ms / 60000);
  const s = Math.floor((ms % 60000) / 1000);
  return `${m}:${String(s).padStart(2, '0')}.${String(Math.round(ms % 1000)).padStart(3, '0')}`;
}

/** @param {number | null | undefined} g rF2 gear: -1 reverse, 0 neutral. */
export function gearLabel(g) {
  if (g == null) return '–';
  return g < 0 ? 'R' : g === 0 ? 'N' : String(g);
}

/** @param {number} v @param {number} [lo] @param {number} [hi] */
export function clamp01(v, lo = 0, hi = 1) {
  if (!Number.isFinite(v)) return 0;
  return Math.min(hi, Math.max(lo, v));
}

/** @param {number} rate msgs/s -> text */
export function formatRate(rate) {
  if (!rate) return '0';
  return rate >= 100 ? String(Math.round(rate)) : rate.toFixed(1);
}

/**
 * @typedef {{ topic: string, ts: number, data: any }} Message
 * @typedef {{ at: number, intervalMs: number, count: number }} Seen
 */

export class Model {
  constructor() {
    /** @type {any} the latest core/status */
    this.status = null;
    /** Its `ts` (the gateway's clock): topic ages are measured against it, not this page's clock. */
    this.statusTs = 0;
    /** @type {Map<string, {count: number, streak: number, stream: boolean}>} per topic, across statuses */
    this.streams = new Map();
    /** @type {Map<string, Seen>} receipt times per topic, by this page's clock */
    this.seen = new Map();
    /** @type {Map<string, AcBoard>} AC boards by node ('' = this gateway's own) */
    this.acBoards = new Map();
    /** The node whose board is shown; null = the first there is (this gateway's own first). @type {string | null} */
    this.acNode = null;
    /** @type {any} */
    this.rf2 = null;
    /** @type {any} */
    this.rf2Status = null;
    /** @type {any} */
    this.frame = null;
    /** @type {any} */
    this.robocarStatus = null;
    /** Emperor race control by server name. @type {Map<string, {state: any, drivers: any, team: any}>} */
    this.emperor = new Map();
    /** The AC server acws runs: its topics, and `sessions` from the `server sessions` verb. @type {{status: any, info: any, session: any, drivers: any, lobby: any, sessions: any}} */
    this.acws = { status: null, info: null, session: null, drivers: null, lobby: null, sessions: null };
    /** Names of the panels changed since the last draw. @type {Set<string>} */
    this.dirty = new Set();
  }

  /** The nodes with an AC board, this gateway's own ('') first. */
  acNodes() {
    return [...this.acBoards.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)));
  }

  /** The board shown. @returns {AcBoard} */
  board() {
    const node = this.acNode !== null && this.acBoards.has(this.acNode) ? this.acNode : this.acNodes()[0];
    return (node !== undefined && this.acBoards.get(node)) || newBoard();
  }

  /** @param {string} node */
  selectAcNode(node) {
    this.acNode = node;
    this.dirty.add('ac');
  }

  /** The shown board's acudp/state. */
  get acState() {
    return this.board().state;
  }
  /** carId -> speed km/h from car updates, on the shown board. */
  get acSpeeds() {
    return this.board().speeds;
  }
  /** carId -> highlight until (page clock), on the shown board. */
  get lapFlash() {
    return this.board().flash;
  }
  /** The shown board's last laps, newest first. */
  get recentLaps() {
    return this.board().recentLaps;
  }

  /** @param {string} plugin */
  loaded(plugin) {
    if (plugin === 'core') return this.status !== null;
    // A viewer gateway shows the boards of the gateways bridged to it without acudp of its own.
    if (plugin === 'acudp' && this.acBoards.size > 0) return true;
    return Boolean(this.status?.plugins?.some((/** @type {any} */ p) => p.name === plugin));
  }

  /** @param {Message} m @param {number} now page clock, ms */
  apply(m, now) {
    const seen = this.seen.get(m.topic);
    if (seen) {
      const gap = now - seen.at;
      // A moving average of the gap between messages: what "usual" means for staleness.
      seen.intervalMs = seen.count === 1 ? gap : seen.intervalMs * 0.8 + gap * 0.2;
      seen.at = now;
      seen.count++;
    } else {
      this.seen.set(m.topic, { at: now, intervalMs: 0, count: 1 });
    }
    const d = m.data;
    const ac = AC_TOPIC.exec(m.topic);
    if (ac) return this.applyAc(ac[1] ?? '', /** @type {'state'|'car_update'|'lap_completed'} */ (ac[2]), d, now);
    const emperor = EMPEROR_TOPIC.exec(m.topic);
    if (emperor) {
      const server = /** @type {string} */ (emperor[1]);
      const e = this.emperor.get(server) ?? { state: null, drivers: null, team: null };
      e[/** @type {'state'|'drivers'|'team'} */ (emperor[2])] = d;
      this.emperor.set(server, e);
      this.dirty.add('emperor');
      return;
    }
    if (m.topic.startsWith('acws/')) {
      const part = { 'acws/server/status': 'status', 'acws/server/info': 'info', 'acws/session': 'session', 'acws/drivers': 'drivers', 'acws/lobby': 'lobby' }[m.topic];
      if (!part) return;
      this.acws[/** @type {'status'|'info'|'session'|'drivers'|'lobby'} */ (part)] = d;
      this.dirty.add('acws');
      return;
    }
    switch (m.topic) {
      case 'core/status':
        this.status = d;
        this.statusTs = m.ts;
        this.trackStreams(d?.topics ?? []);
        this.dirty.add('gateway');
        this.dirty.add('panels');
        break;
      case 'rf2/telemetry':
        this.rf2 = d;
        this.dirty.add('rf2');
        break;
      case 'rf2/status':
        this.rf2Status = d;
        this.dirty.add('rf2');
        break;
      case 'robocar/frame':
        this.frame = d;
        this.dirty.add('robocar');
        break;
      case 'robocar/status':
        this.robocarStatus = d;
        this.dirty.add('robocar');
        break;
      default:
        return;
    }
  }

  /**
   * An AC message of one node's board; the board is redrawn only when it is the one shown (a new
   * node redraws the selector).
   * @param {string} node @param {'state'|'car_update'|'lap_completed'} kind @param {any} d @param {number} now
   */
  applyAc(node, kind, d, now) {
    let b = this.acBoards.get(node);
    if (!b) {
      this.acBoards.set(node, (b = newBoard()));
      this.dirty.add('ac');
      this.dirty.add('panels');
    }
    if (kind === 'state') b.state = d;
    else if (kind === 'car_update') {
      if (!d || typeof d.carId !== 'number') return;
      const v = d.velocity ?? {};
      b.speeds.set(d.carId, Math.hypot(v.x ?? 0, v.y ?? 0, v.z ?? 0) * 3.6);
    } else {
      if (!d || typeof d.carId !== 'number') return;
      b.flash.set(d.carId, now + LAP_FLASH_MS);
      const car = b.state?.cars?.find((/** @type {any} */ c) => c.carId === d.carId);
      b.recentLaps.unshift({ carId: d.carId, driver: car?.driverName || `car ${d.carId}`, lapTimeMs: d.lapTimeMs, cuts: d.cuts ?? 0, at: now });
      b.recentLaps.length = Math.min(b.recentLaps.length, 5);
    }
    if (this.board() === b) this.dirty.add('ac');
  }

  /**
   * Which topics stream: messages in STREAM_STREAK status intervals in a row. Only those can go
   * stale; an event topic (a lap, a chat line) is quiet between events by nature.
   * @param {any[]} topics
   */
  trackStreams(topics) {
    for (const t of topics) {
      const s = this.streams.get(t.topic) ?? { count: 0, streak: 0, stream: false };
      if (t.count > s.count) {
        s.streak++;
        if (s.streak >= STREAM_STREAK) s.stream = true;
      } else {
        s.streak = 0;
      }
      s.count = t.count;
      this.streams.set(t.topic, s);
    }
  }

  /**
   * The gateway's topics from core/status, with their age and whether a stream went quiet (by the
   * gateway's clock; the usual interval is the topic's average since its first message).
   */
  topicRows() {
    /** @type {any[]} */
    const topics = this.status?.topics ?? [];
    const now = this.statusTs;
    return topics.map((t) => {
      const intervalMs = t.count > 1 ? (t.lastAt - t.firstAt) / (t.count - 1) : 0;
      const stream = this.streams.get(t.topic)?.stream ?? false;
      return { topic: t.topic, rate: t.rate, count: t.count, ageMs: Math.max(0, now - t.lastAt), stale: stream && isStale(t.lastAt, intervalMs, now) };
    });
  }

  /** @param {number} carId */
  driverName(carId) {
    const car = this.acState?.cars?.find((/** @type {any} */ c) => c.carId === carId);
    return car?.driverName || `car ${carId}`;
  }

  /** @param {string} topic @param {number} now */
  topicStale(topic, now) {
    const s = this.seen.get(topic);
    return s ? isStale(s.at, s.intervalMs, now) : false;
  }

  /** Whether a panel's live topic has gone quiet (never stale before its first message). @param {keyof typeof PANELS} panel @param {number} now */
  panelStale(panel, now) {
    const live = PANELS[panel].live;
    if (live === null) return false;
    if (panel === 'ac') {
      const node = this.acNode !== null && this.acBoards.has(this.acNode) ? this.acNode : this.acNodes()[0];
      return this.topicStale(node ? `${node}/acudp/car_update` : 'acudp/car_update', now);
    }
    return this.topicStale(live, now);
  }

  /**
   * The timing board: the last leaderboard's order (positions), then cars not in it; connected
   * cars only, or every car when none is marked connected.
   * @param {number} now
   */
  acRows(now) {
    const st = this.acState;
    if (!st) return [];
    /** @type {any[]} */
    const cars = Array.isArray(st.cars) ? st.cars : [];
    const connected = cars.filter((c) => c.connected);
    const shown = connected.length ? connected : cars;
    const byId = new Map(shown.map((c) => [c.carId, c]));
    /** @type {number[]} */
    const order = [];
    for (const e of st.leaderboard?.entries ?? []) if (byId.has(e.carId) && !order.includes(e.carId)) order.push(e.carId);
    const rest = shown.filter((c) => !order.includes(c.carId)).map((c) => c.carId).sort((a, b) => a - b);
    const ranked = order.length;
    return [...order, ...rest].map((carId, i) => {
      const c = byId.get(carId);
      const flashUntil = this.lapFlash.get(carId) ?? 0;
      return {
        pos: i < ranked ? i + 1 : null,
        carId,
        driver: c.driverName || `car ${carId}`,
        model: c.carModel ?? '',
        laps: c.laps ?? 0,
        last: formatLap(c.lastLapMs),
        // A lap with cuts does not count for Best in AC: it is marked, not left to vanish.
        lastCut: (c.lastLapCuts ?? 0) > 0,
        best: c.bestLapMs == null && c.lastLapMs != null ? 'no clean lap' : formatLap(c.bestLapMs),
        bestMissing: c.bestLapMs == null && c.lastLapMs != null,
        speedKmh: this.acSpeeds.get(carId),
        flash: flashUntil > now,
      };
    });
  }

  /** Why the board has no positions yet (the server sends its leaderboard only with a completed lap), or null. */
  acPositionsNote() {
    const st = this.acState;
    if (!st || (Array.isArray(st.cars) ? st.cars : []).length === 0) return null;
    return st.leaderboard?.entries?.length ? null : 'No positions yet: the AC server sends its standings with each completed lap.';
  }

  /**
   * Each race-control server: its session line, the connected drivers in race order (position,
   * name, car, laps, last and best lap) and the team rule's drivers.
   */
  emperorServers() {
    return [...this.emperor.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([server, e]) => {
        const st = e.state;
        const session = e.drivers?.session ?? st?.session ?? null;
        /** @type {any[]} */
        const connected = e.drivers?.connected ?? [];
        const rows = [...connected]
          .sort((a, b) => (a.position ?? 1e9) - (b.position ?? 1e9) || String(a.name).localeCompare(String(b.name)))
          .map((dr) => ({ pos: dr.position ?? null, name: dr.name ?? '', car: dr.carModel ?? '', laps: dr.laps ?? 0, last: formatLap(dr.lastLapMs), best: formatLap(dr.bestLapMs), inPits: dr.inPits === true }));
        /** @type {any} */
        const team = e.team;
        const rule = team?.rule ? [team.rule.tag && `tag ${team.rule.tag}`, team.rule.teamName && `team ${team.rule.teamName}`].filter(Boolean).join(', ') : '';
        return {
          server,
          connection: st?.connection?.state ?? '',
          session: session ? [session.name, session.track, session.trackConfig].filter(Boolean).join(' · ') : '',
          rows,
          team: team ? { rule, drivers: (team.connected ?? []).map((/** @type {any} */ t) => ({ name: t.name ?? '', pos: t.position ?? null, best: formatLap(t.bestLapMs) })) } : null,
        };
      });
  }

  /** The AC server acws runs, for its panel. */
  acwsView() {
    const a = this.acws;
    const running = a.status?.running === true;
    /** @type {any[]} */
    const drivers = a.drivers?.drivers ?? [];
    /** @type {Array<[string, any]>} */
    const sessions = a.sessions ? Object.entries(a.sessions) : [];
    return {
      state: a.status?.state ?? 'unknown',
      running,
      version: a.info?.version ?? '',
      track: a.info?.track ?? '',
      session: running && a.session ? `${a.session.type}${a.session.laps ? ` · ${a.session.laps} laps` : a.session.time_min ? ` · ${a.session.time_min} min` : ''}` : '',
      lobby: a.lobby ? (a.lobby.connected ? 'registered with the lobby' : 'not registered with the lobby') : '',
      drivers: drivers.map((dr) => ({ slot: dr.slot, name: dr.name, car: dr.car })),
      sessions: sessions.map(([name, s]) => ({ name, type: s.type ?? name, laps: String(s.laps ?? 0), time: String(s.time ?? 0), active: s.active === true })),
    };
  }

  /** The session line of the board. */
  acSession() {
    const s = this.acState?.session;
    if (!s) return null;
    const type = { 0: 'Booking', 1: 'Practice', 2: 'Qualify', 3: 'Race' }[/** @type {0|1|2|3} */ (s.sessionType)] ?? '';
    const length = s.laps ? `${s.laps} laps` : s.timeMinutes ? `${s.timeMinutes} min` : '';
    return { name: s.name || type, type, track: [s.track, s.trackConfig].filter(Boolean).join(' / '), server: s.serverName ?? '', length, elapsedMs: s.elapsedMs };
  }

  /** Any lap highlight still running (the board must be redrawn when it ends). @param {number} now */
  flashing(now) {
    for (const until of this.lapFlash.values()) if (until > now) return true;
    return false;
  }
}
