#!/usr/bin/env node
// A stand-in for acServer (and stracker, with --stracker) for tests and demos. Run it with the
// server root as its working folder, as acServer is run. It reads cfg/server_cfg.ini and
// cfg/entry_list.ini, prints the log lines the real server prints (v1.15, protocol 202), holds
// the server's TCP, UDP and HTTP ports, and exits on SIGTERM/SIGINT.
//
// Options:
//   --join N           N drivers of the entry list connect (pickup mode), one every --join-interval ms
//   --join-delay MS    wait before the first join (default 100)
//   --join-interval MS (default 50)
//   --leave N          then the first N of them disconnect cleanly, after --leave-delay ms (default 200)
//   --lobby-base URL   base printed in the lobby lines (default the Kunos lobby)
//   --no-lobby         print no lobby lines
//   --lobby-fail       print the lobby registration error after connecting
//   --crash-after MS   crash (exit code 2) after MS
//   --fail-start       print a track loading error and exit 1 before the CARS= line
//   --ignore-sigterm   ignore SIGTERM and SIGINT (tests the stop timeout)
//   --stracker         behave as stracker: read stracker.ini ([STRACKER_CONFIG] listening_port)
// SIGUSR1 (not on Windows) makes it crash at once, like a Go panic.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import http from 'node:http';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const num = (name, dflt) => Number(opt(name, String(dflt)));

const out = (line) => process.stdout.write(line + '\n');
const err = (line) => process.stderr.write(line + '\n');

function readIni(file) {
  const doc = {};
  let section;
  for (const raw of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const m = /^\[(.+)\]$/.exec(line);
    if (m) {
      section = doc[m[1]] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (section && eq > 0) section[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return doc;
}

const closers = [];
function exit(code) {
  for (const c of closers) {
    try {
      c();
    } catch {}
  }
  process.exitCode = code;
  setTimeout(() => process.exit(code), 20).unref();
}

function crash(why) {
  err(`panic: ${why}`);
  err('');
  err('goroutine 1 [running]:');
  err('main.main()');
  exit(2);
}

async function holdTcp(port, what) {
  const server = net.createServer((s) => s.destroy());
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  }).catch((e) => {
    throw new Error(`${what} port ${port}: ${e.code ?? e.message}`);
  });
  closers.push(() => server.close());
}

async function holdUdp(port) {
  const sock = dgram.createSocket('udp4');
  await new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, '127.0.0.1', resolve);
  }).catch((e) => {
    throw new Error(`UDP port ${port}: ${e.code ?? e.message}`);
  });
  closers.push(() => sock.close());
}

async function holdHttp(port, info) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(info()));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  }).catch((e) => {
    throw new Error(`HTTP port ${port}: ${e.code ?? e.message}`);
  });
  closers.push(() => {
    server.close();
    server.closeAllConnections();
  });
}

/** Go's time.Now().String(), which acServer prints on its third line. */
function goTimestamp(d) {
  const p = (n, w = 2) => String(n).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const zone = `${sign}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}0000 ${zone} UTC m=+0.007426800`;
}

function handleSignals(onStop) {
  const stop = (sig) => {
    if (flag('--ignore-sigterm')) {
      out(`received ${sig}: ignored`);
      return;
    }
    onStop(sig);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (process.platform !== 'win32') process.on('SIGUSR1', () => crash('runtime error: invalid memory address or nil pointer dereference (fake crash requested)'));
  const after = num('--crash-after', 0);
  if (after > 0) setTimeout(() => crash('runtime error: index out of range (fake crash after ' + after + ' ms)'), after);
}

async function runStracker() {
  const cfg = readIni('stracker.ini').STRACKER_CONFIG ?? {};
  const port = Number(cfg.listening_port ?? 50042);
  out('stracker version 3.5.1 (fake)');
  handleSignals(() => {
    out('stracker shutting down');
    exit(0);
  });
  try {
    await holdTcp(port, 'listening');
  } catch (e) {
    err(`RuntimeError: cannot listen on ${e.message}`);
    exit(1);
    return;
  }
  out(`Listening on port ${port}`);
  out(`Connected to AC server at ${cfg.ac_server_address ?? '127.0.0.1'}`);
}

async function runAcServer() {
  let cfg;
  let entries;
  try {
    cfg = readIni('cfg/server_cfg.ini');
    entries = readIni('cfg/entry_list.ini');
  } catch (e) {
    err(`ERROR: cannot read configuration: ${e.message}`);
    exit(1);
    return;
  }
  const server = cfg.SERVER ?? {};
  const track = server.TRACK ?? 'unknown';
  const cars = (server.CARS ?? '').split(';').filter(Boolean);
  const clients = [];
  let session = 'Practice';

  out('Assetto Corsa Dedicated Server v1.15');
  out('Protocol version: 202');
  out(goTimestamp(new Date()));
  handleSignals(() => {
    out('Server shutting down');
    exit(0);
  });
  if (flag('--fail-start')) {
    out(`ERROR: cannot load track content/tracks/${track}: no such file or directory`);
    exit(1);
    return;
  }
  try {
    await holdTcp(Number(server.TCP_PORT ?? 9600), 'TCP');
    await holdUdp(Number(server.UDP_PORT ?? 9600));
    await holdHttp(Number(server.HTTP_PORT ?? 8081), () => ({ name: server.NAME, track, cars, clients: clients.length, session, port: Number(server.UDP_PORT) }));
  } catch (e) {
    out(`ERROR: cannot open ${e.message}`);
    exit(1);
    return;
  }
  out(`TRACK=${track}`);
  out(`CARS=${JSON.stringify(cars)}`);
  out(`MAX_CLIENTS=${server.MAX_CLIENTS ?? cars.length}`);

  const sessions = [
    ['PRACTICE', 1],
    ['QUALIFY', 2],
    ['RACE', 3],
  ].filter(([name]) => cfg[name]);
  if (sessions.length > 0) {
    const [name, type] = sessions[0];
    const s = cfg[name];
    session = s.NAME ?? name;
    out(`SENDING session name : ${session === 'Qualify' ? 'Qualification' : session}`);
    out('SENDING session index : 0');
    out(`SENDING session type : ${type}`);
    out(`SENDING session time : ${s.TIME ?? 0}`);
    out(`SENDING session laps : ${s.LAPS ?? 0}`);
  }

  if (!flag('--no-lobby')) {
    const base = opt('--lobby-base', 'http://93.57.10.21/lobby.ashx').replace(/\/+$/, '');
    const q = new URLSearchParams({
      name: server.NAME ?? '',
      port: server.UDP_PORT ?? '',
      tcp_port: server.TCP_PORT ?? '',
      max_clients: server.MAX_CLIENTS ?? '',
      track,
      cars: cars.join(','),
      timeofday: server.SUN_ANGLE ?? '0',
      sessions: sessions.map(([, t]) => t).join(','),
      version: '202',
      pickup: '1',
    });
    out(`CALLING ${base}/register?${q}`);
    out('CONNECTED TO LOBBY');
    out(`SENDING ${base}/ping?session=1&timeleft=600&port=${server.UDP_PORT}&clients=0&track=${track}&pickup=1`);
    out('OK');
    if (flag('--lobby-fail')) out('ERROR,SERVER NOT REGISTERED WITH LOBBY - PLEASE RESTART');
  }

  const drivers = Object.entries(entries)
    .filter(([k]) => /^CAR_\d+$/.test(k))
    .map(([k, e]) => ({ slot: Number(k.slice(4)), name: e.DRIVERNAME || `Driver ${k.slice(4)}`, guid: e.GUID || String(76561198000000000 + Number(k.slice(4))), model: e.MODEL ?? cars[0] ?? 'car' }));
  const join = Math.min(num('--join', 0), drivers.length);
  const interval = num('--join-interval', 50);
  const joinDelay = num('--join-delay', 100);
  for (let i = 0; i < join; i++) {
    const d = drivers[i];
    setTimeout(() => {
      out(`NEW PICKUP CONNECTION from  127.0.0.${i + 2}:${50000 + i}`);
      out('VERSION 202');
      out(d.name);
      out(`REQUESTED CAR: ${d.model}*`);
      out(`Looking for available slot by name for GUID ${d.guid} ${d.model}`);
      out(`Slot found at index ${d.slot}`);
      out(`DRIVER ACCEPTED FOR CAR ${d.slot}`);
      out(`DRIVER: ${d.name} []`);
      clients.push(d);
    }, joinDelay + i * interval);
  }
  const leave = Math.min(num('--leave', 0), join);
  const leaveAt = joinDelay + join * interval + num('--leave-delay', 200);
  for (let i = 0; i < leave; i++) {
    setTimeout(() => out(`Clean exit, driver disconnected:  ${drivers[i].name} []`), leaveAt + i * interval);
  }
}

if (flag('--stracker')) await runStracker();
else await runAcServer();
