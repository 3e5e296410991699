import { loadHost } from './start.js';

/** `acgateway plugins`: loads the config and the plugins without starting anything, and lists them. */
export async function runPlugins(options: { configPath?: string; json: boolean }, io: { out: (s: string) => void }): Promise<number> {
  const { host } = await loadHost({ configPath: options.configPath, silent: true });
  await host.init();
  const list = host.describe();
  if (options.json) {
    io.out(JSON.stringify(list, null, 2));
    return 0;
  }
  for (const p of list) {
    io.out(`${p.name}${p.version ? ` ${p.version}` : ''}  (${p.origin})`);
    if (p.sources.length) io.out(`  sources:   ${p.sources.map((s) => s.name).join(', ')}`);
    for (const e of p.endpoints) io.out(`  endpoint:  ${e.name} [${e.kind}] ${e.urls.join(' ')}`);
    if (p.verbs.length) io.out(`  verbs:     ${p.verbs.join(', ')}`);
  }
  return 0;
}
