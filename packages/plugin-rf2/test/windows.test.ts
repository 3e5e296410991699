// The Windows path for real: node.exe (the official Windows build) under Wine runs a writer that
// makes rF2's named mappings, and `acgateway start` with plugin-rf2 on `reader: 'auto'`, which on
// win32 opens them through kernel32. Everything is read from Linux over loopback, as any client would.
// Wine absent: skipped with a message (a failure under CI). See README "Windows test run".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import WebSocket from 'ws';
import { connect, type Message } from '@acgateway/client';
import { freePort, until } from '@acgateway/testing';
import { repoRoot, skipWithoutWine, windowsPath, windowsWorkspace, type startWindowsNode } from '../../../test-support/wine.mjs';

const skip = skipWithoutWine();
const writerScript = path.join(repoRoot, 'packages/plugin-rf2/test/windows/rf2-writer.mjs');
type Proc = ReturnType<typeof startWindowsNode>;

let ws: Awaited<ReturnType<typeof windowsWorkspace>>;
const start = (args: string[], name: string): Proc => ws.start(args, name);

beforeAll(async () => {
  if (!skip) ws = await windowsWorkspace('acgw-win-rf2-');
}, 180_000);
afterAll(() => ws?.cleanup());

async function gateway(name: string, rf2: Record<string, unknown>) {
  const port = await freePort();
  const feedPort = await freePort();
  const dir = path.join(ws.dir, name);
  await writeFile(path.join(ws.dir, `${name}.config.ts`), `import type { AcgatewayConfig } from '@acgateway/core';\nexport default {\n  server: { port: ${port} },\n  plugins: [['@acgateway/plugin-rf2', ${JSON.stringify({ ...rf2, feed: { port: feedPort } })}]],\n} satisfies AcgatewayConfig;\n`);
  // A Windows path, backslashes and drive letter, as a Windows user types it.
  const configArg = windowsPath(path.join(ws.dir, `${name}.config.ts`));
  const gw = start([path.join(repoRoot, 'packages/cli/bin/acgateway.js'), 'start', '--config', configArg], dir.split(path.sep).pop()!);
  await gw.waitFor(/acgateway running/, 60_000);
  return { gw, url: `ws://127.0.0.1:${port}/`, http: `http://127.0.0.1:${port}`, feed: `ws://127.0.0.1:${feedPort}/` };
}

interface Status {
  state: string;
  reason: string;
  reader: string;
  telemetry: string;
}

describe.skipIf(skip)('plugin-rf2 on Windows (node.exe under Wine)', () => {
  it('reads the named mappings another process makes: status, telemetry, vehicles, the 1 Hz feed, torn writes, a writer that goes and comes back, Ctrl-C', async () => {
    const { gw, url, http, feed } = await gateway('gw', { reader: 'auto' });
    expect(gw.text()).toContain('config loaded');
    expect(gw.text()).toContain('"config":"Z:\\\\');

    const client = connect(url, { WebSocket: WebSocket as never, minDelayMs: 100, maxDelayMs: 500 });
    const statuses: Status[] = [];
    const telemetry: Message<{ speedKmh: number | null; driverName?: string; localVelocityMs: { x: number; y: number; z: number } }>[] = [];
    const vehicles: Message<{ vehicles: unknown[] }>[] = [];
    client.subscribe<Status>('rf2/status', (m) => void statuses.push(m.data));
    client.subscribe('rf2/telemetry', (m) => void telemetry.push(m as never));
    client.subscribe('rf2/vehicles', (m) => void vehicles.push(m as never));
    try {
      await until('rf2/status', () => statuses.length > 0, 10_000);
      // No rF2 yet: the windows reader, the real mapping names.
      expect(statuses[0]).toMatchObject({ state: 'not_running', reader: 'windows', telemetry: '$rFactor2SMMP_Telemetry$' });
      expect(statuses[0]!.reason).toContain('no mapping named $rFactor2SMMP_Telemetry$');

      // rF2 starts: a writer that also leaves a telemetry write open for 30 ms every 150 ms.
      const writer = start([writerScript, '--vehicles', '6', '--torn-every-ms', '150', '--hold-ms', '30'], 'writer');
      await writer.waitFor(/writer ready \$rFactor2SMMP_Telemetry\$ \$rFactor2SMMP_Scoring\$/, 30_000);
      await until('connected', () => statuses.at(-1)?.state === 'connected', 20_000);
      expect(statuses.at(-1)!.reason).toContain('Wine Player');
      await until('telemetry and vehicles', () => telemetry.length >= 20 && vehicles.length >= 3, 20_000);
      expect((vehicles.at(-1)!.data.vehicles as unknown[]).length).toBe(6);

      // The feed, from Linux: the seed's exact message, once at connect and then once a second.
      const feedTexts: string[] = [];
      const fws = new WebSocket(feed);
      fws.on('message', (d, binary) => void (binary ? feedTexts.push('<binary>') : feedTexts.push(String(d))));
      await until('two feed messages', () => feedTexts.length >= 2, 10_000);
      fws.close();
      const first = JSON.parse(feedTexts[0]!);
      expect(Object.keys(first)).toEqual(['driverName', 'vehicleName', 'place', 'gear', 'brake', 'throttle']);
      expect(first.driverName).toBe('Wine Player');
      expect(feedTexts[0]).toMatch(/"brake":\d+\.\d+/);

      // Torn writes were seen and dropped: counted, and the 1e6 m/s of a half-done write never published.
      await until('torn copies counted', async () => {
        const text = await (await fetch(`${http}/metrics`)).text();
        const n = Number(/acgateway_rf2_torn_copies_total\{buffer="Telemetry"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
        return n > 0;
      }, 15_000);
      const speeds = telemetry.map((m) => m.data.speedKmh ?? 0);
      expect(Math.max(...speeds)).toBeLessThan(500);
      expect(Math.max(...speeds)).toBeGreaterThan(10);

      // rF2 exits without a word (killed): the reader's own handle keeps the section alive, so it
      // finds out by reopening a view that stopped changing (within 5 s) and reports not_running.
      writer.kill();
      await writer.exited;
      const before = statuses.length;
      await until('not_running after the writer died', () => statuses.slice(before).some((s) => s.state === 'not_running'), 20_000);

      // And back.
      const again = start([writerScript, '--vehicles', '4'], 'writer2');
      await again.waitFor(/writer ready/, 30_000);
      const back = statuses.length;
      await until('connected again', () => statuses.slice(back).some((s) => s.state === 'connected'), 20_000);
      await until('4 vehicles', () => (vehicles.at(-1)?.data.vehicles as unknown[] | undefined)?.length === 4, 10_000);

      // A clean stop of the writer (Ctrl-C): the plugin zero-fills its buffers on the way out.
      again.interrupt();
      expect((await again.exited).code).toBe(0);
      expect(again.text()).toMatch(/writer stopped/);
    } finally {
      client.close();
    }

    // Ctrl-C to the gateway: a graceful stop, exit code 0.
    gw.interrupt();
    const exit = await gw.exited;
    expect(gw.text()).toMatch(/SIGINT: stopping/);
    expect(gw.text()).toMatch(/acgateway stopped/);
    expect(exit.code).toBe(0);
  }, 150_000);

  it('opens the Global\\ mappings of a dedicated server when globalMapping is set, and a process-id suffix', async () => {
    const { gw, url } = await gateway('global', { reader: 'windows', globalMapping: true, mapping: 4242 });
    const writer = start([writerScript, '--global', '--suffix', '4242', '--vehicles', '3'], 'writer-global');
    await writer.waitFor(/writer ready Global\\\$rFactor2SMMP_Telemetry\$4242/, 30_000);
    const client = connect(url, { WebSocket: WebSocket as never });
    const statuses: Status[] = [];
    client.subscribe<Status>('rf2/status', (m) => void statuses.push(m.data));
    try {
      await until('connected through Global\\', () => statuses.at(-1)?.state === 'connected', 20_000);
      expect(statuses.at(-1)!.telemetry).toBe('Global\\$rFactor2SMMP_Telemetry$4242');
    } finally {
      client.close();
    }
    writer.interrupt();
    gw.interrupt();
    expect((await gw.exited).code).toBe(0);
  }, 120_000);
});
