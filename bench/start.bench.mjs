#!/usr/bin/env node
// Start time and idle memory (issue 16, item 4), built packages (npm run build first):
//   node bench/start.bench.mjs            5 runs per row
//   BENCH_QUICK=1 node bench/start.bench.mjs   3 runs per row
// 1. `acgateway start` on the demo config until GET /health answers 200, against a bare Node
//    process that starts an HTTP server and answers (the floor: Node's own start), same poll loop.
// 2. RSS of an idle gateway with one plugin (acudp, no clients) after it settles, against a bare
//    Node `ws` server (the same `ws` package), read from /proc (Linux).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = QUICK ? 3 : 5;
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'packages/cli/bin/acgateway.js');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePortBase() {
  const net = await import('node:net');
  // The seven consecutive ports the demo takes (ACGATEWAY_DEMO_PORT_BASE: the gateway, then six more).
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const ok = await Promise.all(
      [0, 1, 2, 3, 4, 5, 6].map(
        (i) =>
          new Promise((resolve) => {
            const s = net.createServer().once('error', () => resolve(false));
            s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return base;
  }
}

/** Spawns, polls `url` every 5 ms until 200; returns ms from spawn, then stops the process. */
async function timeToAnswer(args, env, url) {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: 'ignore' });
  let ms;
  while (ms === undefined) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode} before answering`);
    try {
      if ((await fetch(url)).status === 200) ms = performance.now() - t0;
    } catch {
      // not listening yet
    }
    if (ms === undefined) await sleep(5);
  }
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  return ms;
}

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Starts, waits for `url`, reads RSS after each of `at` (ms after the first answer); returns MiB per
 * reading. V8 shrinks an idle process's heap (its memory reducer) some 10-20 s after start: the
 * early reading is right after start, the late one the gateway as it idles for hours.
 */
async function idleRss(args, url, at) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'ignore' });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).status < 500) break;
    } catch {
      // not yet
    }
    await sleep(10);
  }
  const readings = [];
  let waited = 0;
  for (const ms of at) {
    await sleep(ms - waited);
    waited = ms;
    readings.push(rssMiB(child.pid));
  }
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  return readings;
}

const BARE_HTTP = `require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')`;
const BARE_WS = `const http = require('node:http'); const { WebSocketServer } = require('ws'); const s = http.createServer((q, r) => r.end('ok')); new WebSocketServer({ server: s }); s.listen(Number(process.env.PORT), '127.0.0.1')`;

console.log(`# start and idle memory (${QUICK ? 'quick' : 'full'}), node ${process.version}, ${os.cpus().length} cores, ${RUNS} runs per row`);
const demo = [];
const bare = [];
for (let i = 0; i < RUNS; i++) {
  // Alternated, so a busy moment hits both rows alike.
  const base = await freePortBase();
  demo.push(await timeToAnswer([cli, 'start', '--config', 'examples/demo/acgateway.config.ts', '-l', 'warn'], { ACGATEWAY_DEMO_PORT_BASE: String(base) }, `http://127.0.0.1:${base}/health`));
  const port = await freePortBase();
  bare.push(await timeToAnswer(['-e', BARE_HTTP], { PORT: String(port) }, `http://127.0.0.1:${port}/`));
}
const d = median(demo);
const b = median(bare);
console.log('\n1. from spawn to the first 200 (ms)');
console.log(`  demo (acgateway start, every plugin, /health)   median ${d.toFixed(0)}   runs ${demo.map((x) => x.toFixed(0)).join(', ')}`);
console.log(`  baseline: bare node HTTP server                  median ${b.toFixed(0)}   runs ${bare.map((x) => x.toFixed(0)).join(', ')}`);
console.log(`  ratio: ${(d / b).toFixed(2)}x the bare server`);
console.log(`  target (issue 16): the demo answers /health within 1 s of acgateway start: ${d <= 1000 ? 'met' : 'not met'} (${d.toFixed(0)} ms)`);

if (existsSync('/proc/self/status')) {
  // Inside the repository (.acgateway/ is git-ignored), so the config resolves the plugin package.
  await mkdir(path.join(root, '.acgateway'), { recursive: true });
  const dir = await mkdtemp(path.join(root, '.acgateway', 'bench-start-'));
  try {
    const AT = [2000, 30_000];
    const gwRss = [];
    const wsRss = [];
    for (let i = 0; i < 2; i++) {
      const port = await freePortBase();
      const config = path.join(dir, `acgateway.config.${i}.json`);
      await writeFile(config, JSON.stringify({ server: { port }, log: { level: 'warn' }, plugins: [['@acgateway/plugin-acudp', { listenPort: port + 1, serverPort: port + 2 }]] }));
      const wsPort = await freePortBase();
      // Side by side: memory, not CPU, is measured, and each waits 30 s.
      const [g, w] = await Promise.all([
        idleRss([cli, 'start', '--config', config], `http://127.0.0.1:${port}/health`, AT),
        idleRss(['-e', BARE_WS.replace('process.env.PORT', String(wsPort))], `http://127.0.0.1:${wsPort}/`, AT),
      ]);
      gwRss.push(g);
      wsRss.push(w);
    }
    console.log('\n2. idle RSS, no clients (MiB), 2 runs side by side');
    AT.forEach((ms, k) => {
      const gs = gwRss.map((r) => r[k]);
      const ws = wsRss.map((r) => r[k]);
      const g = median(gs);
      const w = median(ws);
      console.log(`  ${ms / 1000} s after the first answer`);
      console.log(`    gateway with one plugin (acudp)   median ${g.toFixed(1)}   runs ${gs.map((x) => x.toFixed(1)).join(', ')}`);
      console.log(`    baseline: bare node ws server     median ${w.toFixed(1)}   runs ${ws.map((x) => x.toFixed(1)).join(', ')}`);
      console.log(`    ratio: ${(g / w).toFixed(2)}x`);
      if (k === AT.length - 1) console.log(`  target (issue 16): at most 1.25x the RSS of a bare ws server, idle: ${g / w <= 1.25 ? 'met' : 'not met'} (${(g / w).toFixed(2)}x)`);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
} else {
  console.log('\n2. idle RSS: skipped (no /proc on this system)');
}
