import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Parser } from '@asyncapi/parser';

const bin = path.resolve(fileURLToPath(import.meta.url), '../../bin/acgateway.js');
const root = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const built = existsSync(path.resolve(bin, '../../dist/main.js')) && existsSync(path.join(root, 'packages/plugin-acudp/dist/index.js'));
if (!built) console.warn('asyncapi CLI test skipped: run "npm run build" first (dist/ is missing)');

/** A base for the demo's seven ports where none is taken (a demo may run next door: demo-cli.test.ts). */
async function freeDemoPortBase(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let base = 24_000; ; base += 10) {
    let ok = true;
    for (let i = 0; i < 7 && ok; i++) ok = await free(base + i);
    if (ok) return base;
  }
}

describe.skipIf(!built)('acgateway asyncapi', () => {
  it('describes the protocol and every declared topic in AsyncAPI 3.0 that the official parser takes without errors or warnings', { timeout: 60_000 }, async () => {
    // The demo's config checks its ports as it loads: ports of its own, so a demo running meanwhile does not matter.
    const env = { ...process.env, ACGATEWAY_DEMO_PORT_BASE: String(await freeDemoPortBase()) };
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'asyncapi', '--config', path.join(root, 'examples/demo/acgateway.config.ts')], { maxBuffer: 16 * 1024 * 1024, env });
    const doc = JSON.parse(stdout);
    const { document, diagnostics } = await new Parser().parse(stdout);
    // 0 error, 1 warning (2 information, 3 hint: e.g. "3.1.0 exists").
    expect(diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`)).toEqual([]);
    expect(document).toBeDefined();
    // The protocol's operations, both ways.
    const ops = document!.operations().all().map((o) => [o.id(), o.action()]);
    expect(ops).toEqual(expect.arrayContaining([['subscribe', 'send'], ['command', 'send'], ['welcome', 'receive'], ['reply', 'receive'], ['dropped', 'receive'], ['receiveTopic', 'receive']]));
    // A declared topic's payload is its zod schema as JSON Schema.
    const lap = doc.components.messages['topic.acudp.lap_completed'];
    expect(lap.payload.properties.topic).toEqual({ const: 'acudp/lap_completed' });
    expect(lap.payload.properties.data.properties.lapTimeMs).toMatchObject({ type: 'integer' });
    expect(lap.payload.properties.data.required).toEqual(expect.arrayContaining(['carId', 'lapTimeMs', 'leaderboard']));
    expect(doc.components.messages['topic.acudp.state']['x-retained']).toBe(true);
    expect(doc.servers.gateway).toMatchObject({ protocol: 'ws', pathname: '/' });
  });
});
