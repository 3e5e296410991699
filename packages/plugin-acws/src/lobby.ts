import { CommandError } from '@acgateway/core';
import type { Logger } from '@acgateway/core';
import type { AcwsEvents } from './events.js';
import type { IniDoc } from './wire/ac-ini.js';
import type { LogEvent } from './wire/acserver-log.js';
import { buildRegisterUrl, isLobbySuccess, rebaseLobbyUrl } from './wire/lobby-url.js';
import type { LobbyInfo } from './wire/line-protocol.js';

export interface LobbyOptions {
  baseUrl: string;
  timeoutMs: number;
  /** Register again, once, when acServer logs that it lost the lobby after having been registered. */
  autoReregister: boolean;
}

/**
 * The server's standing with the Kunos lobby, learned from acServer's log, and a way to register
 * again (`lobby restart`). Requests only ever go to `baseUrl`.
 */
export class Lobby {
  private state: LobbyInfo = { connected: false, since: null, url_register: null, url_ping: null };
  private autoTried = false;

  constructor(
    private readonly options: LobbyOptions,
    private readonly events: AcwsEvents,
    private readonly logger: Logger,
    private readonly readCfg: () => Promise<IniDoc>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  info(): LobbyInfo {
    return { ...this.state };
  }

  private set(patch: Partial<LobbyInfo>): void {
    this.state = { ...this.state, ...patch };
    this.events.emit('lobby', this.info());
  }

  /** acServer stopped: it is no longer registered; the URLs it used are kept for a later `lobby restart`. */
  reset(): void {
    this.autoTried = false;
    if (this.state.connected) this.set({ connected: false, since: null });
  }

  onLog(ev: LogEvent): void {
    switch (ev.kind) {
      case 'lobby-calling':
        this.set({ url_register: ev.url });
        break;
      case 'lobby-connected':
        this.autoTried = false;
        this.set({ connected: true, since: this.now().toISOString() });
        break;
      case 'lobby-ping':
        if (this.state.url_ping !== ev.url) this.set({ url_ping: ev.url });
        break;
      case 'lobby-error': {
        const was = this.state.connected;
        this.set({ connected: false, since: null });
        if (was && this.options.autoReregister && !this.autoTried) {
          this.autoTried = true;
          this.register('auto').catch((err) => this.logger.warn({ err: (err as Error).message }, 'automatic lobby re-registration failed'));
        }
        break;
      }
      default:
        break;
    }
  }

  private async get(url: string): Promise<{ status: number; body: string }> {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs) });
      return { status: res.status, body: (await res.text()).slice(0, 2000) };
    } catch (err) {
      const why = (err as Error).name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : (err as Error).message;
      throw new CommandError('LOBBY_UNREACHABLE', `cannot reach the lobby at ${new URL(url).origin}: ${why}`);
    }
  }

  /**
   * Registers with the lobby: the URL acServer last called (re-pointed at `baseUrl`), or one built
   * from server_cfg.ini; then one ping with the URL acServer last sent, if any.
   */
  async register(trigger: 'command' | 'auto' = 'command'): Promise<LobbyInfo> {
    const base = this.options.baseUrl;
    const url = this.state.url_register ? rebaseLobbyUrl(this.state.url_register, base) : buildRegisterUrl(base, await this.readCfg());
    this.logger.info({ url, trigger }, 'registering with the lobby');
    const { status, body } = await this.get(url);
    if (!isLobbySuccess(status, body)) {
      this.set({ connected: false, since: null });
      throw new CommandError('LOBBY_REFUSED', body.trim() || `the lobby answered HTTP ${status}`);
    }
    this.set({ connected: true, since: this.now().toISOString() });
    if (this.state.url_ping) {
      const ping = rebaseLobbyUrl(this.state.url_ping, base);
      const r = await this.get(ping).catch((err: Error) => ({ status: 0, body: err.message }));
      if (!isLobbySuccess(r.status, r.body)) this.logger.warn({ url: ping, status: r.status, body: r.body.trim() }, 'lobby ping after registering failed');
    }
    return this.info();
  }
}
