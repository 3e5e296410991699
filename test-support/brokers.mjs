// Real brokers for the bridge tests: Debian's mosquitto (and later nats-server), started by the test
// itself on a free loopback port with a config in a temp folder. Where a binary is absent the tests
// skip with a message; under CI (CI=true) an absent binary is a failure, not a skip.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@acgateway/testing';

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

/**
 * A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl
 * in `dir` (readable by a broker that drops root): `{ ca, serverCert, serverKey, clientCert, clientKey }` paths.
 * @param {string} dir
 */
export async function makeTestCerts(dir) {
  const { execFileSync } = await import('node:child_process');
  const f = (n) => path.join(dir, n);
  const ssl = (...args) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=acgateway test CA');
  for (const who of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=${who === 'server' ? '127.0.0.1' : 'gateway'}`);
    await writeFile(f(`${who}.ext`), who === 'server' ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' : 'extendedKeyUsage=clientAuth\n');
    ssl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${who}.crt`), '-days', '1', '-extfile', f(`${who}.ext`));
  }
  await chmod(dir, 0o755);
  for (const n of ['ca.crt', 'server.crt', 'server.key']) await chmod(f(n), 0o644);
  return { ca: f('ca.crt'), serverCert: f('server.crt'), serverKey: f('server.key'), clientCert: f('client.crt'), clientKey: f('client.key') };
}

/**
 * nats-server in operator mode (decentralised JWT auth, as `nsc` sets it up): an operator, a system
 * account and an account, signed here with NKeys. Returns the server config file to pass with `-c`
 * and `creds()`, which writes a `.creds` file for a new user of the account (or, with
 * `{ foreign: true }`, of an account the server does not know).
 * @param {string} dir
 */
export async function natsOperatorSetup(dir) {
  const { createAccount, createOperator, createUser } = await import('@nats-io/nkeys');
  const b64 = (x) => Buffer.from(x).toString('base64url');
  const jwt = (issuer, subject, name, nats) => {
    const head = b64(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
    const body = b64(JSON.stringify({ jti: b64(crypto.getRandomValues(new Uint8Array(16))), iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), name, sub: subject, nats: { ...nats, version: 2 } }));
    return `${head}.${body}.${b64(issuer.sign(new TextEncoder().encode(`${head}.${body}`)))}`;
  };
  const limits = { subs: -1, conn: -1, leaf: -1, imports: -1, exports: -1, data: -1, payload: -1, wildcards: true };
  const operator = createOperator();
  const account = createAccount();
  const system = createAccount();
  const conf = path.join(dir, 'operator.conf');
  await writeFile(
    conf,
    `operator: ${jwt(operator, operator.getPublicKey(), 'league', { type: 'operator' })}\nresolver: MEMORY\nsystem_account: ${system.getPublicKey()}\n` +
      `resolver_preload: {\n  ${account.getPublicKey()}: ${jwt(operator, account.getPublicKey(), 'gateways', { type: 'account', limits })}\n  ${system.getPublicKey()}: ${jwt(operator, system.getPublicKey(), 'SYS', { type: 'account', limits })}\n}\n`,
  );
  let n = 0;
  const creds = async ({ foreign = false } = {}) => {
    const user = createUser();
    const issuer = foreign ? createAccount() : account;
    const file = path.join(dir, `user${++n}.creds`);
    const seed = new TextDecoder().decode(user.getSeed());
    await writeFile(file, `-----BEGIN NATS USER JWT-----\n${jwt(issuer, user.getPublicKey(), `gw${n}`, { type: 'user', pub: {}, sub: {}, subs: -1, data: -1, payload: -1 })}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`);
    return { file, seed };
  };
  return { conf, creds };
}
