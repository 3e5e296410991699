import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeAcServerCommand, fakeAcServerPath } from '@acgateway/plugin-acws/fake';
import { createSandboxServerRoot } from '@acgateway/plugin-acws/fake';
import { tempDir } from '@acgateway/testing';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('package layout', () => {
  it('ships the fake acServer, found from src/ and dist/ alike', async () => {
    const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
    expect(pkg.files).toContain('fake');
    expect(fakeAcServerPath).toBe(path.join(pkgDir, 'fake', 'acServer.mjs'));
    expect(existsSync(fakeAcServerPath)).toBe(true);
    const built = path.join(pkgDir, 'dist', 'sandbox.js');
    if (!existsSync(built)) return; // not built yet: src/ was checked above
    const dist = (await import(built)) as { fakeAcServerPath: string };
    expect(dist.fakeAcServerPath).toBe(fakeAcServerPath);
  });

  it('the fake runs on its own in a sandbox folder and exits on SIGTERM', async () => {
    const tmp = await tempDir('acws-');
    try {
      const s = await createSandboxServerRoot(tmp.dir, { drivers: [{ name: 'Solo', guid: '1' }] });
      const { command, args } = fakeAcServerCommand('--join', '1', '--join-delay', '0', '--no-lobby');
      const child = spawn(command, args, { cwd: s.root, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no join line: ${out}`)), 5000);
        child.stdout.on('data', () => {
          if (out.includes('DRIVER: Solo []')) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      expect(out).toContain(`TRACK=${s.track}\nCARS=["ks_mazda_mx5_cup"]\n`);
      expect(out).toContain('NEW PICKUP CONNECTION from  127.0.0.2:50000\n');
      expect(out).not.toContain('CALLING');
      child.kill('SIGTERM');
      const code = await new Promise((r) => child.once('exit', r));
      expect(code).toBe(0);
    } finally {
      await tmp.remove();
    }
  });
});
