// @ts-check
// The live page: one gateway connection (@acgateway/client), a model fed by its messages, and a draw at most once per
// screen frame (requestAnimationFrame) of only the panels that changed. No framework, no CDN.
import { connect } from '../sdk/client.js';
import { LAP_FLASH_MS, Model, PANELS, SUBSCRIPTIONS, clamp01, formatLap, formatRate, gearLabel } from './model.js';

const model = new Model();
/** Counters for debugging and the browser tests: messages in, draws done, connections made. */
const stats = { messages: 0, renders: 0, connects: 0, dropped: 0 };
/** @type {any} */ (window).acgateway = { model, stats };

/** What the gateway said, serving this page, the connection will need: admin, read, token or invalid. */
const access = document.documentElement.dataset.access ?? '';
const TOKEN_KEY = 'acgateway-token';
let token = new URLSearchParams(location.search).get('token') ?? sessionStorage.getItem(TOKEN_KEY) ?? '';

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * @param {string} tag
 * @param {Record<string, string> | null} [attrs]
 * @param {...(Node | string | number | null | undefined)} children
 */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) e.append(typeof c === 'number' ? String(c) : c);
  return e;
}

/** @param {HTMLElement} table @param {HTMLElement[]} rows */
function fillTable(table, rows) {
  /** @type {HTMLElement} */ (table.querySelector('tbody')).replaceChildren(...rows);
}

// ---- connection ------------------------------------------------------------------------------
// Through @acgateway/client, as any dashboard: the gateway serves it at /sdk/client.js. It reconnects
// with backoff and resubscribes (retained values come again), and rejects a command with its code.

/** @typedef {import('../sdk/client.js').Gateway} Gateway */
/** @type {Gateway | undefined} */
let gw;
let everConnected = false;

function wsUrl() {
  const u = new URL('.', location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.search = '';
  u.hash = '';
  return u.href;
}

/** @param {string} state @param {string} text */
function setConn(state, text) {
  const c = $('conn');
  c.dataset.state = state;
  c.textContent = text;
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let noticeTimer;
/** @param {string} text @param {'ok' | 'warn' | 'error'} kind @param {number} [hideAfterMs] */
function notice(text, kind, hideAfterMs) {
  const n = $('notice');
  n.textContent = text;
  n.className = `notice ${kind}`;
  n.hidden = false;
  clearTimeout(noticeTimer);
  if (hideAfterMs) noticeTimer = setTimeout(() => (n.hidden = true), hideAfterMs);
}

/** @param {import('../sdk/client.js').Message} m */
function onMessage(m) {
  stats.messages++;
  model.apply(m, Date.now());
  // The configured sessions (and which is active) can change with the server's state and session.
  if (m.topic === 'acws/server/status' || m.topic === 'acws/session') void loadAcwsSessions();
  schedule();
}

function start() {
  setConn('connecting', everConnected ? 'reconnecting…' : 'connecting…');
  const client = connect(wsUrl(), { token: token || undefined, minDelayMs: 500, maxDelayMs: 10_000, commandTimeoutMs: 30_000 });
  gw = client;
  let opened = false;
  client.on('open', (welcome) => {
    opened = true;
    stats.connects++;
    setConn('connected', 'connected');
    if (everConnected) notice('Reconnected to the gateway.', 'ok', 5000);
    else $('notice').hidden = true;
    everConnected = true;
    $('role').textContent = welcome.role === 'admin' ? 'full control' : 'read-only';
    role = welcome.role;
    model.dirty.add('acws');
    schedule();
    if (welcome.role === 'read') showTokenForm('Read-only connection: a full-control token allows commands that change things.');
    else $('token-form').hidden = true;
  });
  client.on('close', (e) => {
    if (gw !== client) return; // replaced by a connection with a new token
    $('role').textContent = '';
    const seconds = Math.max(1, Math.round((e.retryInMs ?? 0) / 1000));
    setConn('down', `disconnected, retrying in ${seconds} s (attempt ${e.attempt})`);
    if (!opened && !everConnected && (access === 'token' || access === 'invalid')) {
      showTokenForm(access === 'invalid' || token ? 'The gateway refused the token. Enter a valid token.' : 'This gateway needs a token.');
      notice('The gateway needs a token for this connection.', 'error');
    } else if (everConnected) {
      notice(`Lost the connection to the gateway${e.code === 1001 ? ' (it is shutting down)' : ''}; reconnecting by itself…`, 'warn');
    } else {
      notice('Cannot reach the gateway; retrying…', 'warn');
    }
  });
  client.on('dropped', (d) => (stats.dropped += d.count));
  client.on('error', (err) => {
    // A failed connection attempt is said by its close; these are the gateway's answers to a frame.
    if (err.code !== 'CONNECT_FAILED' && err.code !== 'REFUSED') notice(`Gateway: ${err.message}`, 'error', 8000);
  });
  client.subscribe(SUBSCRIPTIONS.latest, onMessage, { policy: 'latest' });
  client.subscribe(SUBSCRIPTIONS.queue, onMessage, { policy: 'queue' });
}

/** @param {string} why */
function showTokenForm(why) {
  $('token-form').hidden = false;
  $('token-why').textContent = why;
}

// ---- command box -----------------------------------------------------------------------------

const MAX_ENTRIES = 20;
/** The topic table shows the busiest this many. */
const MAX_TOPIC_ROWS = 200;
const MAX_REPLY_CHARS = 20_000;

/** @param {HTMLElement} entry @param {{ data?: unknown, error?: { code: string, message: string } }} reply */
function showReply(entry, reply) {
  const out = /** @type {HTMLElement} */ (entry.querySelector('.reply'));
  if (reply.error) {
    out.className = 'reply error';
    out.textContent = `${reply.error.code ?? 'ERROR'}: ${reply.error.message}`;
    if (reply.error.code === 'FORBIDDEN') showTokenForm('That command needs a full-control token.');
  } else {
    out.className = 'reply ok';
    const text = reply.data === undefined || reply.data === null ? 'ok' : JSON.stringify(reply.data, null, 2);
    out.textContent = text.length > MAX_REPLY_CHARS ? `${text.slice(0, MAX_REPLY_CHARS)}\n… (${text.length - MAX_REPLY_CHARS} more characters)` : text;
  }
}

/**
 * Runs a command line and shows it with its reply in the command box (typed there, or a panel's
 * button). Resolves when the reply has come.
 * @param {string} line
 */
function runCommand(line) {
  const entry = el('div', { class: 'entry' }, el('div', { class: 'line' }, `> ${line}`), el('pre', { class: 'reply waiting' }, '…'));
  const output = $('command-output');
  output.prepend(entry);
  while (output.children.length > MAX_ENTRIES) output.lastElementChild?.remove();
  if (!gw?.connected) {
    showReply(entry, { error: { code: 'DISCONNECTED', message: 'not connected to the gateway; try again when it reconnects' } });
    return Promise.resolve();
  }
  return gw.command(line).then(
    (data) => showReply(entry, { data }),
    (/** @type {{ code?: string, message: string }} */ err) => showReply(entry, { error: { code: err.code ?? 'ERROR', message: err.message } }),
  );
}

$('command-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($('command-line'));
  const line = input.value.trim();
  if (!line) return;
  void runCommand(line);
  input.value = '';
});

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  token = /** @type {HTMLInputElement} */ ($('token-input')).value.trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  const old = gw;
  gw = undefined; // its close must not say "retrying"
  old?.close();
  everConnected = false;
  start();
});

// ---- drawing ---------------------------------------------------------------------------------

let drawPending = false;

function schedule() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(draw);
}

function draw() {
  drawPending = false;
  stats.renders++;
  const now = Date.now();
  const d = model.dirty;
  if (d.has('panels')) drawPanels();
  if (d.has('gateway')) drawGateway();
  if (d.has('ac')) drawAc(now);
  if (d.has('rf2')) drawRf2();
  if (d.has('robocar')) drawRobocar();
  if (d.has('emperor')) drawEmperor();
  if (d.has('acws')) drawAcws();
  d.clear();
}

function drawPanels() {
  for (const [name, p] of Object.entries(PANELS)) $(`panel-${name}`).hidden = !model.loaded(p.plugin);
}

/** @param {number} ms */
function age(ms) {
  if (ms < 1000) return 'now';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function drawGateway() {
  const st = model.status;
  if (!st) return;
  $('meta').textContent = `v${st.version} · ${st.state} · up ${age(st.uptimeS * 1000)}`;
  /** @type {any[]} */
  const plugins = st.plugins ?? [];
  fillTable(
    $('plugins'),
    plugins.map((p) =>
      el(
        'tr',
        { 'data-plugin': p.name },
        el('td', null, p.name),
        el('td', null, p.version ?? ''),
        el('td', { class: `state state-${p.state}`, title: p.error ?? '' }, p.state),
        el('td', { class: 'wrap' }, (p.sources ?? []).map((/** @type {any} */ s) => `${s.name}: ${s.status?.state ?? '?'}${s.status?.reason ? ` (${s.status.reason})` : ''}`).join(', ')),
      ),
    ),
  );
  const endpoints = plugins.flatMap((p) => (p.endpoints ?? []).map((/** @type {any} */ e) => ({ ...e, plugin: p.name })));
  fillTable(
    $('endpoints'),
    endpoints.map((e) =>
      el(
        'tr',
        null,
        el('td', null, `${e.plugin}/${e.name}`),
        el('td', null, e.kind),
        el('td', { class: 'url' }, ...(e.urls ?? []).flatMap((/** @type {string} */ u, /** @type {number} */ i) => [i ? el('br') : null, /^https?:/.test(u) ? el('a', { href: u, target: '_blank', rel: 'noopener' }, u) : u])),
        el('td', { class: 'num' }, e.clients ?? ''),
      ),
    ),
  );
  // A gateway with thousands of topics (per-car topics, say) must not cost a thousand-row table a second.
  const topics = model.topicRows();
  const shown = topics.length > MAX_TOPIC_ROWS ? [...topics].sort((a, b) => b.rate - a.rate).slice(0, MAX_TOPIC_ROWS).sort((a, b) => (a.topic < b.topic ? -1 : 1)) : topics;
  fillTable(
    $('topics'),
    [...shown.map((t) =>
      el(
        'tr',
        { class: t.stale ? 'stale' : '', 'data-topic': t.topic },
        el('td', null, t.topic, t.stale ? el('span', { class: 'badge' }, 'stale') : null),
        el('td', { class: 'num' }, formatRate(t.rate)),
        el('td', { class: 'num' }, t.count),
        el('td', { class: 'num' }, age(t.ageMs)),
      ),
    ), ...(shown.length < topics.length ? [el('tr', { class: 'more' }, el('td', { colspan: '4' }, `… and ${topics.length - shown.length} quieter topics`))] : [])],
  );
}

/** @param {number} now */
function drawAc(now) {
  // One board per gateway: this one's own, and those bridged to it (plugin-nats' <node>/acudp/...).
  const nodes = model.acNodes();
  const select = /** @type {HTMLSelectElement} */ ($('ac-node'));
  const shown = model.acNode !== null && nodes.includes(model.acNode) ? model.acNode : nodes[0] ?? '';
  select.hidden = nodes.length < 2 && nodes[0] === '';
  if (select.options.length !== nodes.length || [...select.options].some((o, i) => o.value !== nodes[i])) {
    select.replaceChildren(...nodes.map((n) => el('option', { value: n }, n === '' ? 'this gateway' : n)));
  }
  select.value = shown;
  const s = model.acSession();
  $('ac-session').textContent = s ? [s.server, s.name, s.track, s.length].filter(Boolean).join(' · ') : 'waiting for the server\'s session…';
  const note = model.acPositionsNote();
  $('ac-note').textContent = note ?? '';
  $('ac-note').hidden = !note;
  const rows = model.acRows(now);
  fillTable(
    $('ac-board'),
    rows.map((r) =>
      el(
        'tr',
        { class: r.flash ? 'lap-flash' : '', 'data-car': String(r.carId) },
        el('td', { class: 'pos' }, r.pos ?? '–'),
        el('td', null, r.carId),
        el('td', null, r.driver),
        el('td', null, r.model),
        el('td', { class: 'num' }, r.laps),
        el('td', { class: r.lastCut ? 'num last cut' : 'num last', title: r.lastCut ? 'cut: not counted for Best' : '' }, r.lastCut ? `${r.last} cut` : r.last),
        el('td', { class: r.bestMissing ? 'num best cut' : 'num best', title: r.bestMissing ? 'every lap so far had cuts' : '' }, r.best),
        el('td', { class: 'num' }, r.speedKmh === undefined ? '' : Math.round(r.speedKmh)),
      ),
    ),
  );
  $('ac-laps').replaceChildren(
    ...model.recentLaps.map((l) => el('li', { class: l.at + LAP_FLASH_MS > now ? 'fresh' : '' }, `${l.driver}: ${formatLap(l.lapTimeMs)}${l.cuts ? ` (${l.cuts} cut${l.cuts > 1 ? 's' : ''})` : ''}`)),
  );
}

function drawRf2() {
  const t = model.rf2;
  const st = model.rf2Status;
  $('rf2-state').textContent = st ? `${st.state}${st.reason ? `: ${st.reason}` : ''}` : '';
  if (!t) return;
  $('rf2-who').textContent = [t.vehicleName, t.trackName, `lap ${t.lapNumber}`].filter(Boolean).join(' · ');
  $('rf2-speed').textContent = String(Math.round(t.speedKmh ?? 0));
  $('rf2-gear').textContent = gearLabel(t.gear);
  $('rf2-rpm').textContent = String(Math.round(t.rpm ?? 0));
  $('rf2-rpm-bar').style.width = `${clamp01((t.rpm ?? 0) / (t.maxRpm || 1)) * 100}%`;
  $('rf2-throttle').style.width = `${clamp01(t.throttle) * 100}%`;
  $('rf2-brake').style.width = `${clamp01(t.brake) * 100}%`;
}

function drawEmperor() {
  const servers = model.emperorServers();
  $('emperor-servers').replaceChildren(
    ...servers.map((sv) =>
      el(
        'div',
        { class: 'emperor-server', 'data-server': sv.server },
        el('h3', null, `${sv.server}${sv.connection && sv.connection !== 'open' ? ` (${sv.connection})` : ''}`),
        el('p', { class: 'sub session' }, sv.session || 'no session yet'),
        el(
          'table',
          { class: 'emperor-drivers' },
          el('thead', null, el('tr', null, el('th', null, 'Pos'), el('th', null, 'Driver'), el('th', null, 'Car'), el('th', { class: 'num' }, 'Laps'), el('th', { class: 'num' }, 'Last'), el('th', { class: 'num' }, 'Best'))),
          el(
            'tbody',
            null,
            ...sv.rows.map((r) =>
              el('tr', null, el('td', { class: 'pos' }, r.pos ?? '–'), el('td', { class: r.inPits ? 'pits' : '' }, r.inPits ? `${r.name} (pits)` : r.name), el('td', null, r.car), el('td', { class: 'num' }, r.laps), el('td', { class: 'num last' }, r.last), el('td', { class: 'num best' }, r.best)),
            ),
          ),
        ),
        ...(sv.team
          ? [
              el('p', { class: 'sub team' }, `Team${sv.team.rule ? ` (${sv.team.rule})` : ''}: ${sv.team.drivers.length ? sv.team.drivers.map((/** @type {any} */ t) => `${t.pos ? `P${t.pos} ` : ''}${t.name} ${t.best}`).join(' · ') : 'no driver on track'}`),
            ]
          : []),
      ),
    ),
  );
}

/** The connection's role from its welcome: the server buttons are for full control only. @type {string | undefined} */
let role;

function drawAcws() {
  const v = model.acwsView();
  const state = $('acws-state');
  state.textContent = v.running ? 'running' : v.state;
  state.className = `badge state-${v.running ? 'running' : v.state === 'crashed' ? 'failed' : 'stopped'}`;
  $('acws-info').textContent = [v.version && `acServer ${v.version}`, v.track, v.session, v.lobby].filter(Boolean).join(' · ') || (v.running ? 'running' : 'stopped');
  $('acws-actions').hidden = role !== 'admin';
  fillTable($('acws-drivers'), v.drivers.map((dr) => el('tr', null, el('td', { class: 'num' }, dr.slot), el('td', null, dr.name), el('td', null, dr.car))));
  fillTable(
    $('acws-sessions'),
    v.sessions.map((s) => el('tr', { 'data-session': s.name }, el('td', null, s.name), el('td', { class: 'num' }, s.laps), el('td', { class: 'num' }, s.time), el('td', null, s.active ? 'active' : ''))),
  );
}

/** The configured sessions come from the `server sessions` verb (read access), not from a topic. */
async function loadAcwsSessions() {
  if (!gw) return;
  try {
    const reply = /** @type {any} */ (await gw.command('server sessions'));
    model.acws.sessions = reply?.sessions ?? null;
    model.dirty.add('acws');
    schedule();
  } catch {
    // Not available (acws without a server folder): the table stays empty.
  }
}

$('acws-actions').addEventListener('click', (e) => {
  const verb = /** @type {HTMLElement} */ (e.target).closest('button')?.getAttribute('data-verb');
  if (!verb) return;
  // Through the command path, as if typed: the reply shows in the command box.
  void runCommand(verb).then(() => loadAcwsSessions());
});

/** The frame the image shows: a new message is a new object, so no sequence bookkeeping is needed. */
/** @type {unknown} */
let shownFrame = null;
function drawRobocar() {
  const f = model.frame;
  const cam = model.robocarStatus;
  const seen = model.seen.get('robocar/frame');
  const fps = seen && seen.intervalMs > 0 ? (1000 / seen.intervalMs).toFixed(1) : '–';
  if (f && f !== shownFrame) {
    shownFrame = f;
    /** @type {HTMLImageElement} */ ($('robocar-img')).src = `data:image/${f.format ?? 'jpeg'};base64,${f.frame}`;
  }
  $('robocar-info').textContent = f
    ? `${f.width}×${f.height} · frame ${f.seq} · ${Math.round(f.bytes / 1024)} KiB · ${fps} fps${cam ? ` · camera ${cam.camera_connected ? 'connected' : 'disconnected'}` : ''}`
    : cam && !cam.camera_connected ? 'camera disconnected' : 'waiting for a frame…';
}

// Stale marks and the end of lap highlights change with time, not with messages.
let flashShown = false;
setInterval(() => {
  const now = Date.now();
  for (const name of /** @type {Array<keyof typeof PANELS>} */ (Object.keys(PANELS))) {
    $(`panel-${name}`).classList.toggle('stale', model.panelStale(name, now));
  }
  const flashing = model.flashing(now);
  if (flashing || flashShown) {
    model.dirty.add('ac');
    schedule();
  }
  flashShown = flashing;
}, 500);

$('ac-node').addEventListener('change', (e) => {
  model.selectAcNode(/** @type {HTMLSelectElement} */ (e.target).value);
  schedule();
});

start();
