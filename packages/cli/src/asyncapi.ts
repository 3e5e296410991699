import { asyncApiDocument } from './asyncapi-document.js';
import { loadHost } from './start.js';

/** `acgateway asyncapi`: the AsyncAPI 3.0 description of the gateway websocket of this config (its plugins' declared topics). */
export async function runAsyncApi(options: { configPath?: string }, io: { out: (s: string) => void }): Promise<number> {
  const { host } = await loadHost({ configPath: options.configPath, silent: true });
  await host.init();
  const s = host.config.server;
  io.out(JSON.stringify(asyncApiDocument(host.topics.list(), { host: `${s.host}:${s.port}` }), null, 2));
  return 0;
}
