import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

// `npm start` as a user runs it: the built CLI on the demo config, in a child process, with the
// demo's fixed ports. Checks the banner, data from every plugin, a command, and that Ctrl-C
// (SIGINT) stops everything and leaves no process behind.
const root = path.resolve(fileURLToPath(import.meta.url), '../../..');
const bin = path.join(root, 'packages/cli/bin/acgateway.js');
const built = ['core', 'plugin-acudp', 'plugin-rf2', 'plugin-acws', 'plugin-emperor', 'plugin-robocar'].every((p) => existsSync(path.join(root, 'packages', p, 'dist/index.js')));
const DEMO_TCP_PORTS = [8090, 8080, 8081, 3000, 8091];
const DEMO_UDP_PORTS = [12000, 11000];

async function udpFree(port: number): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function tcpFree(port: number): Promise<boolean> {
  const s = net.createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Processes whose working folder is inside `dir` (Linux /proc). */
function processesIn(dir: string): number[] {
  if (!existsSync('/proc/self/cwd')) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`).startsWith(dir)) pids.push(Number(entry));
    } catch {
      /* gone or not ours */
    }
  }
  return pids;
}

if (!built) console.warn('demo CLI test skipped: run "npm run build" first (a package has no dist/)');

let tmp: string;
let child: ChildProcess | undefined;
/** Every demo a test started: stopped at the end even when a test failed half-way. */
const started: ChildProcess[] = [];
let portsFree = true;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'acgw-demo-'));
  for (const p of DEMO_TCP_PORTS) if (!(await tcpFree(p))) portsFree = false;
  for (const p of DEMO_UDP_PORTS) if (!(await udpFree(p))) portsFree = false;
  if (!portsFree) console.warn(`demo CLI test skipped: one of the demo's ports (tcp ${DEMO_TCP_PORTS.join(', ')}, udp ${DEMO_UDP_PORTS.join(', ')}) is in use (is a demo running?)`);
});
afterAll(async () => {
  // SIGINT first: the demo then stops the fake acServer, which runs in a process group of its own
  // and would outlive a SIGKILL of the demo.
  for (const c of started.filter((c) => c.exitCode === null && c.signalCode === null)) {
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!built)('the built-in demo (npm start)', () => {
  it('starts every plugin, prints the URLs, and stops cleanly on Ctrl-C', async (ctx) => {
    if (!portsFree) ctx.skip();
    child = spawn(process.execPath, [bin, 'start', '--config', path.join(root, 'examples/demo/acgateway.config.ts'), '--log-level', 'warn'], {
      cwd: root,
      env: { ...process.env, ACGATEWAY_DEMO_DIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => { if (out.includes('acgateway is running')) { clearInterval(t); clearTimeout(to); resolve(); } }, 50);
      const to = setTimeout(() => { clearInterval(t); reject(new Error(`demo did not start:\n${out}`)); }, 30_000);
      child!.once('exit', (code) => { clearInterval(t); clearTimeout(to); reject(new Error(`demo exited with ${code}:\n${out}`)); });
    });
    for (const url of ['ws://127.0.0.1:8090/', 'ws://127.0.0.1:8080/', 'ws://127.0.0.1:8081/', 'http://127.0.0.1:3000/socket.io/']) expect(out).toContain(url);
    // The live page the banner points at is served (its browser test: web-demo.test.ts).
    expect(out).toContain('Live page: http://127.0.0.1:8090/ ');
    const page = await fetch('http://127.0.0.1:8090/');
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(await page.text()).toContain('<title>acgateway live</title>');

    const ws = new WebSocket('ws://127.0.0.1:8090/');
    const seen = new Set<string>();
    const want = ['acudp', 'rf2', 'acws', 'emperor', 'robocar'];
    // acws boots the fake acServer in the background (autoStart): its status says when it runs.
    let acServerRunning = false;
    const reply = await new Promise<any>((resolve, reject) => {
      const to = setTimeout(() => reject(new Error(`saw only ${[...seen].join(', ')}${acServerRunning ? '' : ' (acServer not running)'}`)), 20_000);
      let asked = false;
      let answer: any;
      ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', topics: want.map((p) => `${p}/#`) })));
      ws.on('message', (d) => {
        const f = JSON.parse(d.toString());
        if (f.topic) seen.add(f.topic.split('/')[0]);
        if (f.topic === 'acws/server/status' && f.data.running) acServerRunning = true;
        if (!asked && want.every((p) => seen.has(p))) {
          asked = true;
          ws.send(JSON.stringify({ op: 'command', id: 'b', line: 'ac broadcast "Race starts in 5"' }));
        }
        if (f.id === 'b') answer = f;
        if (answer && acServerRunning) { clearTimeout(to); resolve(answer); }
      });
    });
    ws.close();
    expect(reply.error).toBeUndefined();
    expect(processesIn(tmp).length).toBeGreaterThan(0); // the fake acServer runs in the sandbox folder

    child.kill('SIGINT');
    const code = await new Promise((r) => child!.once('exit', r));
    expect(code).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(processesIn(tmp)).toEqual([]);
    for (const p of DEMO_TCP_PORTS) expect(await tcpFree(p)).toBe(true);
  }, 60_000);

  it('moves every port with ACGATEWAY_DEMO_PORT_BASE; a second demo on the same ports says how to move it (exit 2)', async () => {
    let base = 21_000;
    const free = async (b: number) => {
      for (let i = 0; i < 7; i++) if (!(await tcpFree(b + i)) || !(await udpFree(b + i))) return false;
      return true;
    };
    while (!(await free(base))) base += 10;
    const run = () => {
      const c = spawn(process.execPath, [bin, 'start', '--config', path.join(root, 'examples/demo/acgateway.config.ts'), '--log-level', 'warn'], {
        cwd: root,
        env: { ...process.env, ACGATEWAY_DEMO_DIR: tmp, ACGATEWAY_DEMO_PORT_BASE: String(base) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      started.push(c);
      let out = '';
      c.stdout!.on('data', (d) => (out += d));
      c.stderr!.on('data', (d) => (out += d));
      return { c, out: () => out, exit: new Promise<number | null>((r) => c.once('exit', (code) => r(code))) };
    };
    const first = run();
    const since = Date.now();
    while (!first.out().includes('acgateway is running') && Date.now() - since < 30_000) await new Promise((r) => setTimeout(r, 50));
    expect(first.out()).toContain(`Live page: http://127.0.0.1:${base}/ `);
    for (const url of [`ws://127.0.0.1:${base + 1}/`, `ws://127.0.0.1:${base + 2}/`, `http://127.0.0.1:${base + 3}/socket.io/`]) expect(first.out()).toContain(url);
    // Only a start checks the demo's ports: a command that reads the same config works meanwhile.
    const plugins = spawn(process.execPath, [bin, 'plugins', '--json', '--config', path.join(root, 'examples/demo/acgateway.config.ts')], {
      cwd: root,
      env: { ...process.env, ACGATEWAY_DEMO_DIR: tmp, ACGATEWAY_DEMO_PORT_BASE: String(base) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let listed = '';
    plugins.stdout!.on('data', (d) => (listed += d));
    plugins.stderr!.on('data', (d) => (listed += d));
    expect(await new Promise((r) => plugins.once('exit', r)), listed).toBe(0);
    expect(JSON.parse(listed).map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['demo', 'acudp', 'acws']));
    const second = run();
    expect(await second.exit).toBe(2);
    expect(second.out()).toMatch(new RegExp(`port ${base + 5} is taken \\(another demo running\\?\\).*ACGATEWAY_DEMO_PORT_BASE=9000 npm start|port ${base}\\b.*is taken.*ACGATEWAY_DEMO_PORT_BASE`));
    first.c.kill('SIGINT');
    expect(await first.exit).toBe(0);
  }, 60_000);
});
