import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { freePort } from '@acgateway/testing';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';

const exec = promisify(execFile);
const here = path.resolve(fileURLToPath(import.meta.url), '../..');
// What the install needs besides the template: the core, the CLI, and what the CLI depends on (the
// client, the recorder for record/replay/export, the atomic file writer for init), each with the
// built file its package.json points at.
const packages = [
  { name: 'core', entry: 'dist/index.js' },
  { name: 'cli', entry: 'dist/main.js' },
  { name: 'client', entry: 'dist/index.js' },
  { name: 'recorder', entry: 'dist/index.js' },
  { name: 'atomic-file', entry: 'dist/index.js' },
].map((p) => ({ dir: path.resolve(here, '../../packages', p.name), entry: p.entry }));
const built = existsSync(path.join(here, 'dist/index.js')) && packages.every((p) => existsSync(path.join(p.dir, p.entry)));
let dir: string;
let child: ChildProcess | undefined;

if (!built) console.warn('pack test skipped: run "npm run build" first (dist/ is missing)');

// The publishing story end to end: pack the template, install the tarball beside a config in a
// folder of its own (as a user would), start the CLI there, and see the plugin's topic.
describe.skipIf(!built)('publishing a third-party plugin', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'acgw-pack-'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('npm pack, install into a separate folder, acgateway start, see hello/tick', async () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    for (const cwd of [...packages.map((p) => p.dir), here]) await exec(npm, ['pack', '--pack-destination', dir, '--ignore-scripts'], { cwd });
    const tarballs = (await readdir(dir)).filter((f) => f.endsWith('.tgz')).sort();
    expect(tarballs).toEqual([expect.stringMatching(/^acgateway-atomic-file-.*\.tgz$/), expect.stringMatching(/^acgateway-cli-.*\.tgz$/), expect.stringMatching(/^acgateway-client-.*\.tgz$/), expect.stringMatching(/^acgateway-core-.*\.tgz$/), expect.stringMatching(/^acgateway-plugin-hello-.*\.tgz$/), expect.stringMatching(/^acgateway-recorder-.*\.tgz$/)]);

    const app = path.join(dir, 'app');
    await import('node:fs/promises').then((fs) => fs.mkdir(app));
    await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'my-league', private: true, type: 'module' }));
    await exec(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs.map((t) => path.join(dir, t))], { cwd: app, timeout: 240_000 });

    const port = await freePort();
    await writeFile(
      path.join(app, 'acgateway.config.json'),
      JSON.stringify({ server: { port }, log: { level: 'warn' }, plugins: [['acgateway-plugin-hello', { name: 'league', rateHz: 20, port: 0 }]] }),
    );
    child = spawn(process.execPath, [path.join(app, 'node_modules/@acgateway/cli/bin/acgateway.js'), 'start'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => { if (out.includes('acgateway is running')) { clearInterval(t); clearTimeout(to); resolve(); } }, 50);
      const to = setTimeout(() => { clearInterval(t); reject(new Error(`host did not start: ${out}`)); }, 20_000);
    });
    expect(out).toMatch(/hello 0\.1\.0/);

    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const tick = await new Promise<any>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', topics: ['hello/#'] })));
      ws.on('message', (d) => { const f = JSON.parse(d.toString()); if (f.topic === 'hello/tick') resolve(f); });
      setTimeout(() => reject(new Error('no hello/tick')), 10_000);
    });
    ws.close();
    expect(tick.data.greeting).toBe('hello, league');
    // The installed core ships its live page.
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('ui/app.js');
    expect((await fetch(`http://127.0.0.1:${port}/ui/app.js`)).status).toBe(200);
    child.kill('SIGINT');
    const code = await new Promise((r) => child!.once('exit', r));
    expect(code).toBe(0);
  }, 300_000);
});
