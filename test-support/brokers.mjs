// Real brokers for the bridge tests: Debian's mosquitto (and later nats-server), started by the test
// itself on a free loopback port with a config in a temp folder. Where a binary is absent the tests
// skip with a message; under CI (CI=true) an absent binary is a failure, not a skip.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@acgateway/core/testing';

const find = (...candidates) => candidates.find((p) => existsSync(p));

/** @type {string | undefined} */
export const mosquittoPath = process.env.MOSQUITTO_PATH || find('/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto');

/**
 * Whether tests needing `binary` should skip: only where it is absent and not under CI.
 * @param {string | undefined} binary
 */
export function skipWithout(binary, name) {
  if (binary) return false;
  if (process.env.CI === 'true') return false; // the start fails, loudly
  console.warn(`${name} tests skipped: ${name} is not installed (Debian's "${name}" package; .ci/run installs it)`);
  return true;
}

async function waitForPort(port, child, timeoutMs, log) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the broker exited (${child.exitCode}) before listening: ${log()}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`the broker did not listen on ${port} within ${timeoutMs} ms: ${log()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Starts mosquitto on 127.0.0.1. `users` ({name: password}) turns anonymous access off.
 * The returned broker can be stopped (SIGTERM), killed (SIGKILL) and started again on the same port.
 * @param {{ port?: number, users?: Record<string, string>, extra?: string }} [options]
 */
export async function startMosquitto(options = {}) {
  if (!mosquittoPath) throw new Error('mosquitto is not installed (Debian package "mosquitto")');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'acgw-mosquitto-'));
  // mosquitto refuses port 0: a free one is picked here.
  const port = options.port ?? (await freePort());
  const lines = [`listener ${port} 127.0.0.1`, 'persistence false', `allow_anonymous ${options.users ? 'false' : 'true'}`];
  if (options.users) {
    const pw = path.join(dir, 'passwords');
    await writeFile(pw, '');
    for (const [user, pass] of Object.entries(options.users)) {
      await new Promise((resolve, reject) => spawn('mosquitto_passwd', ['-b', pw, user, pass], { stdio: 'ignore' }).once('exit', (c) => (c === 0 ? resolve() : reject(new Error(`mosquitto_passwd exited ${c}`)))));
    }
    // Started as root, mosquitto drops to its own user: the folder and file must be readable to it.
    await chmod(dir, 0o755);
    await chmod(pw, 0o644);
    lines.push(`password_file ${pw}`);
  }
  if (options.extra) lines.push(options.extra);
  const conf = path.join(dir, 'mosquitto.conf');
  await writeFile(conf, lines.join('\n') + '\n');
  return supervise(mosquittoPath, ['-c', conf], port, `mqtt://127.0.0.1:${port}`, dir);
}

/**
 * Runs a broker binary and waits until its port answers. The result can be stopped (SIGTERM),
 * killed (SIGKILL) and started again on the same port, and removed with its folder.
 */
async function supervise(binary, args, port, url, dir) {
  let child;
  let out = '';
  const run = async () => {
    out = '';
    child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    await waitForPort(port, child, 10_000, () => out);
  };
  await run();
  const end = async (signal) => {
    if (!child || child.exitCode !== null || child.signalCode) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await gone;
  };
  return {
    port,
    url,
    get pid() { return child.pid; },
    log: () => out,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    start: run,
    async remove() {
      await end('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** @type {string | undefined} */
export const natsServerPath = process.env.NATS_SERVER_PATH || find('/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server');

/**
 * Starts nats-server with JetStream on 127.0.0.1 (a free port, or the given one, so a restart keeps
 * it); `args` adds flags (e.g. `--auth`, `--user`/`--pass`).
 * @param {{ port?: number, args?: string[] }} [options]
 */
export async function startNatsServer(options = {}) {
  if (!natsServerPath) throw new Error('nats-server is not installed (Debian package "nats-server")');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'acgw-nats-'));
  const port = options.port ?? (await freePort());
  return supervise(natsServerPath, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir, ...(options.args ?? [])], port, `nats://127.0.0.1:${port}`, dir);
}
