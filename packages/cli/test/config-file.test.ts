import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, resolveConfig } from '@acgateway/core';
import { tempDir } from '@acgateway/testing';
import { loadConfigFile } from '../src/config-file.js';

const cliDir = path.resolve(fileURLToPath(import.meta.url), '../..');
let tmp: Awaited<ReturnType<typeof tempDir>>;
let dir: string;

beforeEach(async () => {
  tmp = await tempDir('acgw-config-');
  dir = tmp.dir;
});
afterEach(() => tmp.remove());

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
      const { loadConfigFile } = await import('@acgateway/cli');
      const jiti = () => Object.keys(createRequire(import.meta.url).cache).filter((f) => /node_modules[\\/]jiti[\\/]/.test(f)).length;
      const json = (await loadConfigFile({ cwd: ${JSON.stringify(dir)} })).config.server.port;
      const afterJson = jiti();
      const ts = (await loadConfigFile({ cwd: ${JSON.stringify(dir)}, configPath: 'other.ts' })).config.server.port;
      console.log(JSON.stringify({ json, afterJson, ts, afterTs: jiti() }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: cliDir, encoding: 'utf8' });
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
});
