// plugin-acws on Windows, for real: `acgateway start` run by node.exe under Wine, with the per-OS
// default command `acServer.exe` found in the server root (there, a copy of node.exe running the
// package's fake acServer through the per-OS `args`), started, stopped (TerminateProcess), gone
// with a gateway killed outright (the next gateway starts it afresh), and the
// server_cfg.ini write refused, file unchanged, while another program holds the file open.
// Wine absent: skipped with a message (a failure under CI). See the root README, "Windows test run".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import WebSocket from 'ws';
import { connect, GatewayError, type GatewayClient } from '@acgateway/client';
import { freePort, until } from '@acgateway/testing';
import { createSandboxServerRoot, fakeAcServerPath } from '@acgateway/plugin-acws/fake';
import { nodeExe, repoRoot, skipWithoutWine, windowsPath, windowsWorkspace, type startWindowsNode } from '../../../test-support/wine.mjs';

const skip = skipWithoutWine();
const holdScript = path.join(repoRoot, 'test-support/windows/hold-file.mjs');
type Proc = ReturnType<typeof startWindowsNode>;

let ws: Awaited<ReturnType<typeof windowsWorkspace>>;
const clients: GatewayClient[] = [];
const start = (args: string[], name: string): Proc => ws.start(args, name);

beforeAll(async () => {
  if (!skip) ws = await windowsWorkspace('acgw-win-acws-');
}, 180_000);
afterAll(async () => {
  for (const c of clients) c.close();
  await ws?.cleanup();
});

describe.skipIf(skip)('plugin-acws on Windows (node.exe under Wine)', () => {
  it('runs acServer.exe from the root, stops it, loses it with a killed gateway, and refuses to replace a file another program holds', async () => {
    const sandbox = await createSandboxServerRoot(path.join(ws.dir, 'server'), { stracker: false });
    // acServer.exe: a Windows executable in the root, found by the default per-OS command.
    await copyFile(nodeExe, path.join(sandbox.root, 'acServer.exe'));
    const port = await freePort();
    const options = {
      root: windowsPath(sandbox.root),
      acws: { enabled: false },
      acServer: { args: { win32: [windowsPath(fakeAcServerPath), '--join', '2'], default: [] }, stopTimeoutMs: 1500, startupGraceMs: 500 },
      stracker: { enabled: false },
    };
    await writeFile(path.join(ws.dir, 'acgateway.config.ts'), `export default {\n  server: { port: ${port} },\n  plugins: [['@acgateway/plugin-acws', ${JSON.stringify(options)}]],\n};\n`);
    const configArg = windowsPath(path.join(ws.dir, 'acgateway.config.ts'));
    const startGateway = async (name: string) => {
      const gw = start([path.join(repoRoot, 'packages/cli/bin/acgateway.js'), 'start', '--config', configArg], name);
      await gw.waitFor(/acgateway running/, 60_000);
      const client = connect(`ws://127.0.0.1:${port}/`, { WebSocket: WebSocket as never, reconnect: false, commandTimeoutMs: 20_000 });
      clients.push(client);
      await client.ready();
      return { gw, client };
    };

    const first = await startGateway('gateway1');
    type Started = { msg: string; 'AC Server': { pid: number; cmd: string[]; running: boolean } };
    const started = ((await first.client.command('server start')) as Started)['AC Server'];
    expect(started.running).toBe(true);
    // The per-OS default command, resolved in the root, as a Windows path.
    expect(started.cmd[0]).toMatch(/^Z:\\.*\\server\\acServer\.exe$/);
    expect(started.cmd[1]).toMatch(/fake\\acServer\.mjs$/);
    // Its output arrives through the pipes: the drivers it lets join are known to the plugin.
    await until('two drivers joined', async () => Object.keys(((await first.client.command('server drivers')) as { drivers: Record<string, unknown> }).drivers).length === 2, 20_000);
    const pidFile = JSON.parse(await readFile(path.join(sandbox.root, 'acServer.pid'), 'utf8'));
    expect(pidFile.pid).toBe(started.pid);

    // server_cfg.ini held open by another program (no delete sharing): the write is refused, nothing changes.
    const cfg = path.join(sandbox.root, 'cfg', 'server_cfg.ini');
    const before = await readFile(cfg, 'utf8');
    const holder = start([holdScript, windowsPath(cfg)], 'holder');
    await holder.waitFor(/holding/, 30_000);
    await first.client.command('server session RACE laps 7');
    const refused = await first.client.command('server configuration write').then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).code).toBe('WRITE_FAILED');
    expect((refused as Error).message).toMatch(/cfg\/server_cfg\.ini: cannot replace .*server_cfg\.ini: another program holds it open \(EPERM\)/);
    expect(await readFile(cfg, 'utf8')).toBe(before);
    const leftovers = (await readdir(path.dirname(cfg))).filter((n) => n.endsWith('.tmp') || n.endsWith('.bak'));
    expect(leftovers).toEqual([]);
    // Let go, and the same write goes through, with a backup of what was there.
    holder.interrupt();
    await holder.exited;
    const written = (await first.client.command('server configuration write')) as { file: string; backup: string };
    expect(written.backup).toMatch(/server_cfg\.ini\..*\.bak$/);
    expect(await readFile(cfg, 'utf8')).toMatch(/\[RACE\][^[]*LAPS=7/);
    expect(await readFile(path.join(sandbox.root, written.backup.replaceAll('\\', '/')), 'utf8')).toBe(before);

    // Stop and start: TerminateProcess on Windows, no orphan left.
    const stopped = (await first.client.command('server stop')) as { msg: string; forced: boolean };
    expect(stopped.msg).toMatch(/server stopped/);
    const again = ((await first.client.command('server start')) as Started)['AC Server'];
    expect(again.pid).not.toBe(started.pid);

    // The gateway dies outright (TerminateProcess, no handler runs). Unlike Linux, acServer.exe goes
    // with it: Node on Windows starts children in a job object that is closed with the parent.
    first.gw.kill();
    await first.gw.exited;
    first.client.close();
    const second = await startGateway('gateway2');
    expect(second.gw.text()).not.toMatch(/left running by a gateway/);
    // The pid file named a dead process: found stale and removed; the ports are free for a new start.
    const info = (await second.client.command('server info')) as { server: { running?: boolean } };
    expect(JSON.stringify(info)).not.toContain(`"pid":${again.pid}`);
    expect(existsSync(path.join(sandbox.root, 'acServer.pid'))).toBe(false);
    const third = ((await second.client.command('server start')) as Started)['AC Server'];
    expect(third.running).toBe(true);
    expect(third.pid).not.toBe(again.pid);

    // Ctrl-C: the gateway stops acServer.exe on its way out and exits 0.
    second.gw.interrupt();
    expect((await second.gw.exited).code).toBe(0);
    expect(second.gw.text()).toMatch(/acServer.*stopped/);
  }, 170_000);
});
