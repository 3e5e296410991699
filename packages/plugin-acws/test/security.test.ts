import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { createTestHost, freePort, sleep, tempDir, until, upgradeStatus } from '@acgateway/testing';
import acws from '@acgateway/plugin-acws';
import { createSandboxServerRoot } from '@acgateway/plugin-acws/fake';
import { LineClient, startRig, type Rig } from './helpers.js';

// Issue 13 on the acws side: foreign pages, a client that never reads, the host's stop outlasting
// acServer's, no orphaned acServer after a crash or a kill, bounded backups.

let rig: Rig | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rig?.stop();
  rig = undefined;
});

describe('acws line protocol: browser origins and slow clients', () => {
  it("refuses another site's page at the upgrade (403); its list and scripts connect", async () => {
    rig = await startRig({ plugin: { acws: { port: 0, allowedOrigins: ['https://race-control.example'] } } });
    expect((await upgradeStatus(rig.lineUrl, { origin: 'http://evil.example:18999' })).status).toBe(403);
    expect((await upgradeStatus(rig.lineUrl, { origin: 'https://race-control.example' })).status).toBe(101);
    expect((await upgradeStatus(rig.lineUrl, {})).status).toBe(101);
    // Nothing reached the server's files through a refused page.
    expect(await rig.t.metric('acgateway_bad_input_total', { plugin: 'acws', kind: 'foreign_origin' })).toBe(1);
  });

  it('closes a client that sends commands and never reads; RSS grows less than 64 MB', async () => {
    rig = await startRig({ host: { log: { level: 'warn' } } });
    const c = await LineClient.connect(rig.lineUrl);
    expect((await c.cmd('lobby info')).data).toBeDefined();
    (c.ws as unknown as { _socket: import('node:net').Socket })._socket.pause(); // never reads again
    const before = process.memoryUsage().rss;
    let peak = before;
    for (let round = 0; round < 400 && c.ws.readyState === WebSocket.OPEN; round++) {
      for (let i = 0; i < 500; i++) c.send('server info');
      await sleep(5);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    await until('the flooder closed', () => c.ws.readyState === WebSocket.CLOSED, 5000);
    expect(peak - before).toBeLessThan(64 << 20);
    expect(rig.t.logs.some((l) => /disconnecting slow client: more than 8388608 bytes unsent/.test(l.msg ?? ''))).toBe(true);
    const other = await LineClient.connect(rig.lineUrl);
    expect((await other.cmd('lobby info')).data).toBeDefined();
    other.close();
  });
});

describe('acws files and processes', () => {
  it('keeps the last keepBackups backups of a file it rewrites (default 10)', async () => {
    rig = await startRig();
    const c = await rig.line();
    for (let i = 0; i < 14; i++) expect((await c.cmd('server configuration write')).data.msg).toBe('Wrote cfg/server_cfg.ini');
    const baks = (await readdir(path.join(rig.sandbox.root, 'cfg'))).filter((n) => n.startsWith('server_cfg.ini.') && n.endsWith('.bak'));
    expect(baks.length).toBe(10);
  });

  it('refuses a host whose shutdownTimeoutMs is shorter than acServer stop takes', async () => {
    const tmp = await tempDir('acws-');
    try {
      await expect(createTestHost({ config: { shutdownTimeoutMs: 3000 }, plugins: [acws({ root: tmp.dir, acws: { port: 0 }, acServer: { stopTimeoutMs: 5000 } })] })).rejects.toThrow(
        /shutdownTimeoutMs is 3000 ms, but stopping may take 6000 ms: plugin "acws" up to 6000 ms \(acServer\.stopTimeoutMs/,
      );
    } finally {
      await tmp.remove();
    }
  });
});

const bin = path.resolve(fileURLToPath(import.meta.url), '../../../cli/bin/acgateway.js');
const acwsDist = path.resolve(fileURLToPath(import.meta.url), '../../dist/index.js');
const coreDist = path.resolve(fileURLToPath(import.meta.url), '../../../core/dist/index.js');
const built = existsSync(acwsDist) && existsSync(path.resolve(bin, '../../dist/main.js'));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!built || process.platform === 'win32')('no orphaned acServer (the built CLI in a child process)', () => {
  it('a crashed gateway takes acServer with it; one killed outright leaves it, and the next gateway reports it and stops it', { timeout: 60_000 }, async () => {
    const tmp = await tempDir('acws-orphan-');
    try {
      const sandbox = await createSandboxServerRoot(tmp.dir);
      const options = sandbox.pluginOptions({ acws: { enabled: false } });
      const start = async () => {
        const port = await freePort();
        const config = `import acws from ${JSON.stringify(pathToFileURL(acwsDist).href)};
import { definePlugin } from ${JSON.stringify(pathToFileURL(coreDist).href)};
const crash = definePlugin({ name: 'crash', apiVersion: 4, apply(api) { api.addCommand({ verb: 'crash now', access: 'read', help: 'throws outside any handler', handler: () => { setTimeout(() => { throw new Error('boom'); }, 20); return 'ok'; } }); } });
export default { server: { port: ${port} }, log: { level: 'info' }, plugins: [acws(${JSON.stringify(options)}), crash()] };\n`;
        const file = path.join(tmp.dir, `gw-${port}.config.mjs`);
        await writeFile(file, config);
        const child = spawn(process.execPath, [bin, 'start', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(child);
        let out = '';
        child.stdout!.on('data', (d) => (out += d));
        child.stderr!.on('data', (d) => (out += d));
        await until('the gateway running', () => out.includes('acgateway is running'), 15_000).catch(() => { throw new Error(`gateway did not start: ${out}`); });
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
        await new Promise((r) => ws.once('open', r));
        const cmd = (line: string) => new Promise<any>((resolve) => {
          const id = Math.random().toString(36);
          const on = (d: WebSocket.RawData) => { const f = JSON.parse(d.toString()); if (f.id === id) { ws.off('message', on); resolve(f); } };
          ws.on('message', on);
          ws.send(JSON.stringify({ op: 'command', id, line }));
        });
        return { child, cmd, exited, ws };
      };
      const pidFile = path.join(sandbox.root, 'acServer.pid');

      // 1. A gateway dies of an uncaught exception: its exit takes acServer down.
      const a = await start();
      const runA = await a.cmd('server start');
      const pidA = runA.data['AC Server'].pid as number;
      expect(JSON.parse(await readFile(pidFile, 'utf8')).pid).toBe(pidA);
      await a.cmd('crash now');
      await a.exited;
      await until('acServer gone with its gateway', () => !isAlive(pidA), 3000);

      // 2. A gateway killed with SIGKILL cannot take it down: acServer is left running.
      const b = await start();
      const runB = await b.cmd('server start');
      const pidB = runB.data['AC Server'].pid as number;
      b.child.kill('SIGKILL');
      await b.exited;
      await sleep(300);
      expect(isAlive(pidB)).toBe(true);

      // 3. The next gateway finds it by its pid file: /health is degraded, start refuses, stop ends it.
      const t = await createTestHost({ plugins: [acws(options)] });
      try {
        const health = await (await fetch(t.urls.health)).json();
        expect(health.status).toBe('degraded');
        expect(JSON.stringify(health)).toContain(`AC Server pid ${pidB}`);
        expect(t.logs.some((l) => new RegExp(`pid ${pidB}\\) left running by a gateway that did not stop it`).test(l.msg ?? ''))).toBe(true);
        await expect(t.dispatch('server start')).rejects.toThrow(new RegExp(`already running \\(pid ${pidB}, left by a gateway`));
        expect(await t.dispatch('server stop')).toMatchObject({ msg: 'AC Server server stopped', orphan: pidB });
        expect(isAlive(pidB)).toBe(false);
        expect(existsSync(pidFile)).toBe(false);
        expect((await (await fetch(t.urls.health)).json()).status).toBe('ok');
      } finally {
        await t.stop();
      }
    } finally {
      await tmp.remove();
    }
  });
});
