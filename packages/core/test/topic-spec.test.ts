import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { API_VERSION, defineTopic, definePlugin, z } from '@acgateway/core';
import { createTestHost } from '@acgateway/testing';

const lap = defineTopic('demo/lap', z.object({ carId: z.number().int(), lapTimeMs: z.number().int().positive() }), { description: 'a lap', rate: 'per lap' });
const family = defineTopic('demo/+/status', z.object({ up: z.boolean() }), { retained: true, description: 'per server' });
const demo = (bad: boolean) =>
  definePlugin({
    name: 'demo',
    apiVersion: API_VERSION,
    topics: [lap, family],
    apply(api) {
      api.addCommand({
        verb: 'demo go',
        access: 'read',
        help: 'publishes',
        handler: () => {
          api.publish('demo/lap', bad ? { carId: 1, lapTimeMs: '91234' } : { carId: 1, lapTimeMs: 91234 });
          api.publish('demo/s1/status', bad ? { up: 'yes' } : { up: true }, { retain: true });
          api.publish('demo/undeclared', { anything: 1 });
        },
      });
    },
  });

describe('topic declarations', () => {
  it('refuses a pattern that is not one', () => {
    expect(() => defineTopic('demo/#/x', z.null(), { description: '' })).toThrow(/defineTopic\("demo\/#\/x"\)/);
  });

  const fixtures = path.resolve(fileURLToPath(import.meta.url), '../fixtures/topic-types');
  const tsc = path.resolve(fixtures, '../../../../../node_modules/typescript/bin/tsc');
  const coreTypes = path.resolve(fixtures, '../../../dist/index.d.ts');
  it.skipIf(!existsSync(coreTypes))('payloads are typed from their declaration: a wrong field or type does not compile (tsc on fixtures)', { timeout: 60_000 }, async () => {
    const run = (file: string) =>
      promisify(execFile)(process.execPath, [tsc, '--ignoreConfig', '--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--skipLibCheck', path.join(fixtures, file)], { cwd: fixtures }).then(() => '', (e: { stdout: string }) => e.stdout);
    expect(await run('good.ts')).toBe('');
    const errors = await run('wrong.ts');
    expect(errors).toMatch(/wrong\.ts\(5,\d+\): error TS2561: Object literal may only specify known properties, but 'lapTime' does not exist/);
    expect(errors).toMatch(/wrong\.ts\(6,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
    // A hand-written type that drifted from the schema: what the plugins' SchemaIs lines catch.
    expect(errors).toMatch(/wrong\.ts\(7,\d+\): error TS1360: Type 'true' does not satisfy the expected type 'false'/);
  });

  it('the test kit checks every payload against its declaration and fails the test on a drift', async () => {
    const good = await createTestHost({ plugins: [demo(false)()] });
    await good.dispatch('demo go');
    await good.stop();
    expect(good.host.topicViolations).toEqual([]);
    expect(good.host.topics.list().map((t) => `${t.plugin}:${t.spec.pattern}`)).toEqual(expect.arrayContaining(['demo:demo/lap', 'demo:demo/+/status']));

    const drifted = await createTestHost({ plugins: [demo(true)()] });
    await drifted.dispatch('demo go');
    expect(await drifted.metric('acgateway_bad_input_total', { plugin: 'demo', kind: 'topic_payload' })).toBe(2);
    expect(drifted.host.topicViolations.map((v) => [v.topic, v.pattern, v.problems])).toEqual([
      ['demo/lap', 'demo/lap', 'lapTimeMs: Invalid input: expected number, received string'],
      ['demo/s1/status', 'demo/+/status', 'up: Invalid input: expected boolean, received string'],
    ]);
    expect(drifted.logs.some((l) => l.level === 50 && /does not match its declaration of demo\/lap/.test(l.msg ?? ''))).toBe(true);
    await expect(drifted.stop()).rejects.toThrow(/2 payload\(s\) did not match their topic declarations: demo\/lap/);

    const recorded = await createTestHost({ plugins: [demo(true)()], allowTopicViolations: true });
    await recorded.dispatch('demo go');
    await recorded.stop();
    expect(recorded.host.topicViolations).toHaveLength(2);
  });

  it('checks nothing unless validateTopics is on (the default outside the test kit)', async () => {
    const off = await createTestHost({ plugins: [demo(true)()], config: { validateTopics: false } });
    await off.dispatch('demo go');
    await off.stop();
    expect(off.host.topicViolations).toEqual([]);
  });
});
