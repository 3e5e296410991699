import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { resolveConfig } from '@acgateway/core';
import { tempDir } from '@acgateway/testing';

const exec = promisify(execFile);
const bin = path.resolve(fileURLToPath(import.meta.url), '../../bin/acgateway.js');
const root = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const built = existsSync(path.resolve(bin, '../../dist/main.js')) && existsSync(path.join(root, 'packages/plugin-acudp/dist/index.js'));
if (!built) console.warn('schema CLI test skipped: run "npm run build" first (dist/ is missing)');

describe.skipIf(!built)('acgateway schema and init --json', () => {
  it('prints the config schema with every installed plugin; an editor validating with it catches what the host would refuse', async () => {
    const { stdout, stderr } = await exec(process.execPath, [bin, 'schema', '--dir', root]);
    expect(stderr).toMatch(/schema with \d+ plugins: .*@acgateway\/plugin-acudp/);
    const schema = JSON.parse(stdout);
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
    const ok = (config: unknown) => {
      const valid = validate(config);
      return valid ? true : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ');
    };
    expect(ok({ $schema: './acgateway.schema.json', server: { port: 8090 }, plugins: ['@acgateway/plugin-rf2', ['@acgateway/plugin-acudp', { listenPort: 12000, serverPort: 11000 }]] })).toBe(true);
    // The plugin's own options, from its zod schema: a wrong type or an unknown key is caught.
    expect(ok({ plugins: [['@acgateway/plugin-acudp', { listenPort: 'twelve thousand' }]] })).not.toBe(true);
    expect(ok({ plugins: [['@acgateway/plugin-mqtt', { url: 'mqtt://x', nope: 1 }]] })).not.toBe(true);
    // The core's keys.
    expect(ok({ server: { port: 'x' } })).not.toBe(true);
    expect(ok({ servre: {} })).not.toBe(true);
    expect(ok({ log: { level: 'loud' } })).not.toBe(true);
    // A plugin not installed here is still allowed by name.
    expect(ok({ plugins: [['acgateway-plugin-elsewhere', { any: 1 }]] })).toBe(true);
    // Every plugin is listed with its options.
    const names = schema.properties.plugins.items.anyOf.filter((e: { const?: string }) => e.const).map((e: { const: string }) => e.const);
    expect(names).toEqual(expect.arrayContaining(['@acgateway/plugin-acudp', '@acgateway/plugin-acws', '@acgateway/plugin-emperor', '@acgateway/plugin-rf2', '@acgateway/plugin-robocar', '@acgateway/plugin-mqtt', '@acgateway/plugin-nats']));
  });

  it('init --json writes a config with $schema and the schema beside it; the host takes that config', async () => {
    const t = await tempDir('acgw-init-json-');
    try {
      const { stdout } = await exec(process.execPath, [bin, 'init', '--json', '--dir', t.dir]);
      expect(stdout).toMatch(/acgateway\.schema\.json/);
      const config = JSON.parse(await readFile(path.join(t.dir, 'acgateway.config.json'), 'utf8'));
      expect(config.$schema).toBe('./acgateway.schema.json');
      const schema = JSON.parse(await readFile(path.join(t.dir, config.$schema), 'utf8'));
      expect(new Ajv2020({ strict: false }).validate(schema, config)).toBe(true);
      expect(resolveConfig(config).server.port).toBe(8090);
      const again = await exec(process.execPath, [bin, 'init', '--json', '--dir', t.dir]).catch((e) => e);
      expect(again.code).toBe(2);
    } finally {
      await t.remove();
    }
  });
});
