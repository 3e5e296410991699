import type { Logger } from 'pino';
import { toCommandError, type Caller, type CommandCall, type CommandRegistry } from './commands/registry.js';
import { CommandError } from './errors.js';
import type { Hooks } from './hooks.js';
import type { Metrics } from './metrics.js';

/** Runs a command line or a structured call for a caller; throws CommandError. */
export interface Dispatcher {
  dispatch(request: string | { verb: string; args?: readonly string[] }, caller: Caller): Promise<unknown>;
}

/**
 * The one way every transport (gateway, line protocols, the CLI, a bridge) runs a verb: parse,
 * check the caller's role, the `command` hooks (auth, audit, rate limits), the handler,
 * `commandDone`; counted, and audited when it changes something (refused attempts included).
 */
export class CommandDispatch implements Dispatcher {
  constructor(
    private readonly commands: CommandRegistry,
    private readonly hooks: Hooks,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  async dispatch(request: string | { verb: string; args?: readonly string[] }, caller: Caller): Promise<unknown> {
    const remote = typeof request === 'string' ? /^\s*@([A-Za-z0-9_-]+)\s+(.+)$/s.exec(request) : null;
    if (remote) return this.dispatchRemote(remote[1]!, remote[2]!, caller);
    let call: CommandCall | undefined;
    const started = performance.now();
    try {
      call = typeof request === 'string' ? this.commands.parse(request, caller) : this.commands.call(request.verb, [...(request.args ?? [])], caller);
      this.metrics.commandCalls.labels(call.verb).inc();
      if (call.command.access !== 'read' && caller.role !== 'admin') {
        throw new CommandError('FORBIDDEN', `"${call.verb}" changes things and needs a full-control token; this connection is read-only`);
      }
      let result = await this.hooks.command.promise(call);
      if (result === undefined) {
        result = await call.command.handler({ verb: call.verb, args: call.args, words: call.words, caller });
      }
      this.hooks.commandDone.call(call, { ok: true, result, ms: performance.now() - started });
      if (call.command.access !== 'read') {
        this.logger.info({ verb: call.verb, line: call.line, caller: auditOf(caller) }, 'command run');
      }
      return result;
    } catch (err) {
      const e = toCommandError(err);
      const verb = call?.verb ?? '(unparsed)';
      this.metrics.commandErrors.labels(verb, e.code).inc();
      if (call) this.hooks.commandDone.call(call, { ok: false, error: e, ms: performance.now() - started });
      if (call && call.command.access !== 'read') {
        this.logger.warn({ verb, line: call.line, code: e.code, err: e.message, caller: auditOf(caller) }, 'command refused or failed');
      } else if (e.code === 'COMMAND_FAILED') {
        this.logger.warn({ verb, err: e.message }, 'command failed');
      }
      throw e;
    }
  }

  /** Runs `@node line` through the bridge that reaches the node: audited here, run and checked there. */
  private async dispatchRemote(node: string, line: string, caller: Caller): Promise<unknown> {
    this.metrics.commandCalls.labels(`@${node}`).inc();
    try {
      const result = this.hooks.remoteCommand.isUsed() ? await this.hooks.remoteCommand.promise(node, line, caller) : undefined;
      if (result === undefined) throw new CommandError('UNKNOWN_NODE', `no bridge reaches a gateway named "${node}" (commands for another gateway need one, e.g. @acgateway/plugin-nats)`);
      this.logger.info({ node, line, caller: auditOf(caller) }, 'command sent to another gateway');
      return result;
    } catch (err) {
      const e = toCommandError(err);
      this.metrics.commandErrors.labels(`@${node}`, e.code).inc();
      this.logger.warn({ node, line, code: e.code, err: e.message, caller: auditOf(caller) }, 'command for another gateway refused or failed');
      throw e;
    }
  }
}

function auditOf(caller: Caller) {
  return { endpoint: caller.endpoint, role: caller.role, remote: caller.remote, id: caller.id, user: caller.user };
}
