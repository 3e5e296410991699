import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { ConfigError, Host, loadConfigFile, resolveConfig } from '@acgateway/core';

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

describe('config discovery', () => {
  it('finds acgateway.config.ts from a sub-folder upwards and loads TypeScript', async () => {
    await writeFile(path.join(dir, 'acgateway.config.ts'), `const port: number = 9123;\nexport default { server: { port }, log: { level: 'warn' as const } };\n`);
    const sub = path.join(dir, 'a', 'b');
    await mkdir(sub, { recursive: true });
    const loaded = await loadConfigFile({ cwd: sub });
    expect(loaded.filepath).toBe(path.join(dir, 'acgateway.config.ts'));
    expect(loaded.dir).toBe(dir);
    expect(resolveConfig(loaded.config).server).toMatchObject({ host: '127.0.0.1', port: 9123 });
  });

  it.each([
    ['.acgatewayrc.json', JSON.stringify({ server: { port: 1 } })],
    ['.acgatewayrc', JSON.stringify({ server: { port: 2 } })],
    ['acgateway.config.json', JSON.stringify({ server: { port: 3 } })],
    ['acgateway.config.mjs', 'export default { server: { port: 4 } };'],
    ['acgateway.config.cjs', 'module.exports = { server: { port: 5 } };'],
    ['acgateway.config.mts', 'export default { server: { port: 6 as number } };'],
    ['package.json', JSON.stringify({ name: 'x', acgateway: { server: { port: 7 } } })],
  ])('loads %s', async (file, content) => {
    await writeFile(path.join(dir, file), content);
    const loaded = await loadConfigFile({ cwd: dir });
    expect(path.basename(loaded.filepath)).toBe(file);
    expect((loaded.config.server as { port: number }).port).toBeGreaterThan(0);
  });

  it('loads the TypeScript loader (jiti) with the first .ts config only: a JSON config does not pay for it', async () => {
    // A separate process on the built package (this one has loaded TypeScript configs above).
    await writeFile(path.join(dir, 'acgateway.config.json'), JSON.stringify({ server: { port: 8 } }));
    await writeFile(path.join(dir, 'other.ts'), 'export default { server: { port: 9 as number } };');
    const script = `
      import { createRequire } from 'node:module';
      const { loadConfigFile } = await import('@acgateway/core');
      const jiti = () => Object.keys(createRequire(import.meta.url).cache).filter((f) => /node_modules[\\/]jiti[\\/]/.test(f)).length;
      const json = (await loadConfigFile({ cwd: ${JSON.stringify(dir)} })).config.server.port;
      const afterJson = jiti();
      const ts = (await loadConfigFile({ cwd: ${JSON.stringify(dir)}, configPath: 'other.ts' })).config.server.port;
      console.log(JSON.stringify({ json, afterJson, ts, afterTs: jiti() }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: coreDir, encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { json: number; afterJson: number; ts: number; afterTs: number };
    expect(r).toMatchObject({ json: 8, afterJson: 0, ts: 9 });
    expect(r.afterTs).toBeGreaterThan(0);
  });

  it('loads the file named by --config, and says when it does not exist', async () => {
    await writeFile(path.join(dir, 'custom.json'), JSON.stringify({ shutdownTimeoutMs: 500 }));
    expect((await loadConfigFile({ cwd: dir, configPath: 'custom.json' })).config).toEqual({ shutdownTimeoutMs: 500 });
    await expect(loadConfigFile({ cwd: dir, configPath: 'missing.ts' })).rejects.toThrow(/config file .*missing\.ts does not exist/);
  });

  it('names the file of a config with a syntax error', async () => {
    await writeFile(path.join(dir, 'acgateway.config.ts'), 'export default { server: { port: 1 ;\n');
    const err = await loadConfigFile({ cwd: dir }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(path.join(dir, 'acgateway.config.ts'));
  });

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
