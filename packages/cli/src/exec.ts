import WebSocket from 'ws';
import { connect, GatewayError, type WebSocketConstructor } from '@acgateway/client';
import { formatHelp, isHelpReply } from './help-table.js';

/** `acgateway exec "<line>"`: sends one command to a running host's gateway (through @acgateway/client) and prints the reply. */
export async function runExec(
  options: { line: string; url: string; token?: string; timeoutMs: number; /** `help` replies as a table (a terminal) or JSON (scripts). */ format?: 'json' | 'table'; width?: number },
  io: { out: (s: string) => void; err: (s: string) => void },
): Promise<number> {
  const gw = connect(options.url, { token: options.token, WebSocket: WebSocket as unknown as WebSocketConstructor, reconnect: false, commandTimeoutMs: options.timeoutMs });
  let failure: GatewayError | undefined;
  gw.on('error', (e) => void (failure ??= e));
  try {
    const data = await gw.command(options.line);
    io.out(options.format === 'table' && isHelpReply(data) ? formatHelp(data, options.width, /^\s*help\s+\S/.test(options.line)) : JSON.stringify(data, null, 2));
    return 0;
  } catch (err) {
    const e = err instanceof GatewayError ? err : new GatewayError('FAILED', String(err));
    if (e.code === 'REFUSED') io.err(`acgateway: ${e.message}`);
    else if (failure || e.code === 'CLOSED') io.err(`acgateway: cannot reach ${options.url}: ${(failure?.message ?? e.message).replace(`${options.url}: `, "")} (is "acgateway start" running?)`);
    else if (e.code === 'TIMEOUT' || e.code === 'DISCONNECTED') io.err(`acgateway: no reply from ${options.url} within ${options.timeoutMs} ms (${e.message})`);
    // An error reply of the command itself: the reply, as JSON, for scripts.
    else io.out(JSON.stringify({ error: { message: e.message, code: e.code } }, null, 2));
    return 1;
  } finally {
    gw.close();
  }
}
