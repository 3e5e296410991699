import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Parser } from '@asyncapi/parser';

const bin = path.resolve(fileURLToPath(import.meta.url), '../../bin/acgateway.js');
const root = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const built = existsSync(path.resolve(bin, '../../dist/main.js')) && existsSync(path.join(root, 'packages/plugin-acudp/dist/index.js'));
if (!built) console.warn('asyncapi CLI test skipped: run "npm run build" first (dist/ is missing)');

describe.skipIf(!built)('acgateway asyncapi', () => {
  it('describes the protocol and every declared topic in AsyncAPI 3.0 that the official parser takes without errors or warnings', { timeout: 60_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'asyncapi', '--config', path.join(root, 'examples/demo/acgateway.config.ts')], { maxBuffer: 16 * 1024 * 1024 });
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
