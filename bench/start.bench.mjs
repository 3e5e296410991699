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

/** Starts, waits for `url` then `settleMs`, reads RSS; returns MiB. */
async function idleRss(args, url, settleMs = 2000) {
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
  await sleep(settleMs);
  const rss = rssMiB(child.pid);
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  return rss;
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
    const gwRss = [];
    const wsRss = [];
    for (let i = 0; i < (QUICK ? 2 : 3); i++) {
      const port = await freePortBase();
      const config = path.join(dir, 'acgateway.config.json');
      await writeFile(config, JSON.stringify({ server: { port }, log: { level: 'warn' }, plugins: [['@acgateway/plugin-acudp', { listenPort: port + 1, serverPort: port + 2 }]] }));
      gwRss.push(await idleRss([cli, 'start', '--config', config], `http://127.0.0.1:${port}/health`));
      const wsPort = await freePortBase();
      wsRss.push(await idleRss(['-e', BARE_WS.replace('process.env.PORT', String(wsPort))], `http://127.0.0.1:${wsPort}/`));
    }
    const g = median(gwRss);
    const w = median(wsRss);
    console.log('\n2. idle RSS, no clients (MiB)');
    console.log(`  gateway with one plugin (acudp)   median ${g.toFixed(1)}   runs ${gwRss.map((x) => x.toFixed(1)).join(', ')}`);
    console.log(`  baseline: bare node ws server     median ${w.toFixed(1)}   runs ${wsRss.map((x) => x.toFixed(1)).join(', ')}`);
    console.log(`  ratio: ${(g / w).toFixed(2)}x`);
    console.log(`  target (issue 16): at most 1.25x the RSS of a bare ws server: ${g / w <= 1.25 ? 'met' : 'not met'} (${(g / w).toFixed(2)}x)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
} else {
  console.log('\n2. idle RSS: skipped (no /proc on this system)');
}
