#!/usr/bin/env node
// Runs every benchmark script (bench/*.bench.mjs and packages/*/bench/*.bench.mjs), one at a time,
// each in its own Node process so one bench's heap, sockets and JIT state cannot colour the next.
//
//   node bench/run.mjs [filter ...] [--list]
//
// A filter keeps the benches whose path contains it (case-insensitive). The environment is passed
// through unchanged: BENCH_QUICK=1 asks each bench for its short version. Exit code: 0 if every bench
// passed, 1 if one failed or timed out, 2 for bad usage (a filter matching nothing).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.env.BENCH_QUICK === '1';
// A bench that hangs must not hold the runner for ever: it is stopped and counted as failed.
const timeoutS = Number(process.env.BENCH_TIMEOUT_S) || (quick ? 180 : 900);

function usage(code) {
  const out = code === 0 ? console.log : console.error;
  out('usage: node bench/run.mjs [filter ...] [--list]');
  out('  runs bench/*.bench.mjs and packages/*/bench/*.bench.mjs in turn (build first: npm run build)');
  out('  filter   keep benches whose path contains it (case-insensitive)');
  out('  --list   print the benches that would run and exit');
  out('  env: BENCH_QUICK=1 short runs; BENCH_TIMEOUT_S per-bench limit (default 900, quick 180)');
  process.exit(code);
}

function benchFilesIn(dir) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bench.mjs'))
    .sort()
    .map((f) => join(dir, f));
}

function findBenches() {
  const files = benchFilesIn(join(root, 'bench'));
  const packages = join(root, 'packages');
  if (existsSync(packages)) {
    for (const pkg of readdirSync(packages).sort()) files.push(...benchFilesIn(join(packages, pkg, 'bench')));
  }
  return files;
}

function runOne(file) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [file], { cwd: root, stdio: 'inherit', env: process.env });
    current = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`\n${relative(root, file)}: still running after ${timeoutS} s, stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeoutS * 1000);
    child.on('error', (err) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ ok: false, why: `could not start: ${err.message}`, s: 0 });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      const s = (performance.now() - started) / 1000;
      if (code === 0 && !timedOut) return resolve({ ok: true, s });
      const why = timedOut ? `timed out after ${timeoutS} s` : signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve({ ok: false, why, s });
    });
  });
}

let current;
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    interrupted = true;
    if (current) current.kill(sig);
    else process.exit(130);
  });
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) usage(0);
const unknown = args.filter((a) => a.startsWith('-') && a !== '--list');
if (unknown.length) {
  console.error(`unknown option ${unknown.join(' ')}`);
  usage(2);
}
const filters = args.filter((a) => !a.startsWith('-')).map((a) => a.toLowerCase());
const all = findBenches();
const selected = filters.length ? all.filter((f) => filters.some((w) => relative(root, f).toLowerCase().includes(w))) : all;

if (all.length === 0) {
  console.error('no benchmarks found (bench/*.bench.mjs, packages/*/bench/*.bench.mjs)');
  process.exit(2);
}
if (selected.length === 0) {
  console.error(`no benchmark matches ${filters.map((f) => `"${f}"`).join(' or ')}; there are:`);
  for (const f of all) console.error(`  ${relative(root, f)}`);
  process.exit(2);
}
if (args.includes('--list')) {
  for (const f of selected) console.log(relative(root, f));
  process.exit(0);
}
if (!existsSync(join(root, 'packages/core/dist/index.js'))) {
  console.error('packages/core/dist is missing: benches import the built packages, run `npm run build` first');
  process.exit(1);
}

const results = [];
for (const [i, file] of selected.entries()) {
  const name = relative(root, file);
  console.log(`\n=== [${i + 1}/${selected.length}] ${name}${quick ? ' (BENCH_QUICK=1)' : ''} ===\n`);
  const r = await runOne(file);
  results.push({ name, ...r });
  if (!r.ok) console.error(`\n${name} FAILED: ${r.why}`);
  if (interrupted) break;
}

console.log('\n=== bench summary ===');
for (const r of results) console.log(`  ${r.ok ? 'ok    ' : 'FAILED'}  ${r.name}  (${r.s.toFixed(1)} s)${r.ok ? '' : `  ${r.why}`}`);
const skipped = selected.length - results.length;
if (skipped) console.log(`  ${skipped} not run (interrupted)`);
const failed = results.filter((r) => !r.ok).length;
if (failed || interrupted) {
  console.error(`${failed} of ${selected.length} failed${interrupted ? ', interrupted' : ''}`);
  process.exit(interrupted ? 130 : 1);
}
console.log(`all ${results.length} passed`);
