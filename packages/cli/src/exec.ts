import WebSocket from 'ws';
import { formatHelp, isHelpReply } from './help-table.js';

/** `acgateway exec "<line>"`: sends one command to a running host's gateway and prints the reply. */
export async function runExec(
  options: { line: string; url: string; token?: string; timeoutMs: number; /** `help` replies as a table (a terminal) or JSON (scripts). */ format?: 'json' | 'table'; width?: number },
  io: { out: (s: string) => void; err: (s: string) => void },
): Promise<number> {
  const headers = options.token ? { authorization: `Bearer ${options.token}` } : undefined;
  const ws = new WebSocket(options.url, { headers });
  return await new Promise<number>((resolve) => {
    const done = (code: number) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.close();
      resolve(code);
    };
    const timer = setTimeout(() => {
      io.err(`acgateway: no reply from ${options.url} within ${options.timeoutMs} ms`);
      done(1);
    }, options.timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ op: 'command', id: 'cli', line: options.line })));
    ws.on('unexpected-response', (_req, res) => {
      io.err(`acgateway: ${options.url} refused the connection: HTTP ${res.statusCode}`);
      done(1);
    });
    ws.on('error', (err) => {
      io.err(`acgateway: cannot reach ${options.url}: ${err.message} (is "acgateway start" running?)`);
      done(1);
    });
    ws.on('message', (raw) => {
      let frame: { id?: unknown; data?: unknown; error?: { message: string; code: string } };
      try {
        frame = JSON.parse(raw.toString());
      } catch {
        return;
      }
      if (frame.id !== 'cli') return;
      if (frame.error) {
        io.out(JSON.stringify({ error: frame.error }, null, 2));
        done(1);
      } else {
        io.out(options.format === 'table' && isHelpReply(frame.data) ? formatHelp(frame.data, options.width, /^\s*help\s+\S/.test(options.line)) : JSON.stringify(frame.data, null, 2));
        done(0);
      }
    });
  });
}
