import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { ConfigError, Host, resolveConfig } from '@acgateway/core';

const coreDir = path.resolve(fileURLToPath(import.meta.url), '../..');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'acgw-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A plugin package installed beside the config, as a user would have it. */
async function installPlugin(name: string, body: string) {
  const pkg = path.join(dir, 'node_modules', name);
  await mkdir(pkg, { recursive: true });
  await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name, version: '1.2.3', type: 'module', exports: './index.js' }));
  await writeFile(path.join(pkg, 'index.js'), body);
  await mkdir(path.join(dir, 'node_modules', '@acgateway'), { recursive: true });
  await symlink(coreDir, path.join(dir, 'node_modules', '@acgateway', 'core')).catch(() => {});
}

describe('host options', () => {
  it('names the bad key and the expected type of invalid host options', () => {
    expect(() => resolveConfig({ server: { port: 'eighty' as never } })).toThrow(/invalid config: server\.port: .*expected number/);
    expect(() => resolveConfig({ sever: {} } as never)).toThrow(/Unrecognized key.*sever/);
  });
});

describe('plugins by package name', () => {
  const pluginSource = (name: string) => `
import { definePlugin, API_VERSION } from '@acgateway/core';
export default definePlugin({
  name: '${name}',
  apiVersion: API_VERSION,
  apply(api, options) {
    api.addSource({ name: 'hello', start() { api.publish('${name}/hello', { options }, { retain: true }); }, stop() {} });
  },
});
`;
  it('resolves names from the config folder, with options, and reads the package version', async () => {
    await installPlugin('acgateway-plugin-hi', pluginSource('hi'));
    const host = new Host({ config: { plugins: [['acgateway-plugin-hi', { loud: true }]], server: { enabled: false } }, configDir: dir, logger: pino({ level: 'silent' }) });
    await host.start();
    try {
      expect(host.bus.last('hi/hello')?.data).toEqual({ options: { loud: true } });
      expect(host.describe().find((p) => p.name === 'hi')).toMatchObject({ version: '1.2.3', origin: 'acgateway-plugin-hi' });
    } finally {
      await host.stop();
    }
  });

  it('names an unknown plugin package and where it was looked for', async () => {
    const host = new Host({ config: { plugins: ['acgateway-plugin-nowhere'] }, configDir: dir, logger: pino({ level: 'silent' }) });
    const err = await host.init().catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/plugins\[0\]: plugin package "acgateway-plugin-nowhere" not found from .*npm install acgateway-plugin-nowhere/);
  });

  it('names a package that exports no plugin, and an entry of the wrong shape', async () => {
    await installPlugin('not-a-plugin', 'export default 42;');
    const host = new Host({ config: { plugins: ['not-a-plugin'] }, configDir: dir, logger: pino({ level: 'silent' }) });
    await expect(host.init()).rejects.toThrow(/package "not-a-plugin" does not export a plugin/);
    const host2 = new Host({ config: { plugins: [42 as never] }, configDir: dir, logger: pino({ level: 'silent' }) });
    await expect(host2.init()).rejects.toThrow(/plugins\[0\]: expected a plugin .* got number 42/);
  });
});
