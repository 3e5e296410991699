import { AsyncSeriesBailHook, AsyncSeriesHook, SyncHook, SyncWaterfallHook, type Tap } from 'tapable';
import type { Message } from './bus.js';
import type { Caller as CommandCaller, CommandCall } from './commands/registry.js';
import { CommandError, PluginError } from './errors.js';

/**
 * The whole extension surface of the host, in one place. Plugins tap these in `apply` through
 * `api.hooks`, a view whose taps carry the plugin's name and which cannot call a hook
 * (`api.hooks.afterStart.tapPromise(api.name, async () => ...)`). Sources, endpoints and verbs are
 * not hooks: `api.addSource/addEndpoint/addCommand` register them, owned by the caller.
 *
 * An error thrown in a tap is re-thrown as a PluginError naming the plugin and the hook.
 */
export function createHooks() {
  return {
    // --- lifecycle ---
    /** Before any source starts. Throwing aborts the start. */
    beforeStart: new AsyncSeriesHook<[]>([]),
    /** After every source and endpoint runs. */
    afterStart: new AsyncSeriesHook<[]>([]),
    /** Before endpoints and sources stop (e.g. tell clients goodbye); every tap runs, in reverse plugin order. */
    beforeStop: new AsyncSeriesHook<[]>([]),
    /** After everything stopped (flush files); every tap runs, in reverse plugin order. */
    afterStop: new AsyncSeriesHook<[]>([]),

    // --- data path ---
    /**
     * Every message before it is published: return it (or a transformed copy) to let it through,
     * `null` to drop it. A tap after one that dropped receives `null` and should return it.
     */
    publish: new SyncWaterfallHook<[Message | null]>(['message']),
    /**
     * Around every command dispatch, after parsing and before the handler (auth, audit, rate limits).
     * Throw a CommandError to refuse it; return a value other than undefined to answer in the
     * handler's place.
     */
    command: new AsyncSeriesBailHook<[CommandCall], unknown>(['call']),
    /**
     * A command line addressed to another gateway (`@track1 ac broadcast "hi"`): the node, the rest
     * of the line and the caller. A bridge that reaches that node answers with its reply (or throws
     * its CommandError); `undefined` passes the line on. No answer at all: UNKNOWN_NODE.
     */
    remoteCommand: new AsyncSeriesBailHook<[string, string, CommandCaller], unknown>(['node', 'line', 'caller']),
    /** After a command ran: the call, and its result or error (audit logs). */
    commandDone: new SyncHook<[CommandCall, { ok: boolean; result?: unknown; error?: unknown; ms: number }]>(['call', 'outcome']),
  };
}

export type Hooks = ReturnType<typeof createHooks>;
export type HookName = keyof Hooks;

/** A hook as a plugin sees it: its tap methods only (no `call`, no `intercept`). */
export type PluginHook<H> = Pick<H, Extract<keyof H, 'tap' | 'tapAsync' | 'tapPromise'>>;
export type PluginHooks = { readonly [N in HookName]: PluginHook<Hooks[N]> };

type AnyFn = (...args: unknown[]) => unknown;

/**
 * The hooks as one plugin taps them: every tap is named after the plugin (whatever name it passes;
 * `stage` and `before` are kept), and an error out of it is re-thrown naming the plugin and the hook.
 * A CommandError from a `command` tap is a refusal and passes as it is.
 */
export function pluginHooks(hooks: Hooks, plugin: string): PluginHooks {
  const view: Record<string, unknown> = {};
  for (const [hookName, hook] of Object.entries(hooks) as Array<[HookName, Hooks[HookName]]>) {
    const named = (options: string | Tap): Tap => (typeof options === 'string' ? { name: plugin } : ({ ...options, name: plugin } as Tap));
    const wrap = (err: unknown) => (err instanceof PluginError || err instanceof CommandError ? err : new PluginError(plugin, `hook ${hookName}`, err));
    const h = hook as unknown as { tap(o: Tap, f: AnyFn): void; tapPromise?(o: Tap, f: AnyFn): void; tapAsync?(o: Tap, f: AnyFn): void };
    const tapView: Record<string, unknown> = {
      tap: (options: string | Tap, fn: AnyFn) =>
        h.tap(named(options), (...a) => {
          try {
            return fn(...a);
          } catch (err) {
            throw wrap(err);
          }
        }),
    };
    if (h.tapPromise) {
      tapView.tapPromise = (options: string | Tap, fn: AnyFn) =>
        h.tapPromise!(named(options), async (...a) => {
          try {
            return await fn(...a);
          } catch (err) {
            throw wrap(err);
          }
        });
      tapView.tapAsync = (options: string | Tap, fn: AnyFn) =>
        h.tapAsync!(named(options), (...a) => {
          const cb = a[a.length - 1] as (err?: unknown, r?: unknown) => void;
          try {
            fn(...a.slice(0, -1), (err?: unknown, r?: unknown) => cb(err ? wrap(err) : err, r));
          } catch (err) {
            cb(wrap(err));
          }
        });
    }
    view[hookName] = Object.freeze(tapView);
  }
  return Object.freeze(view) as PluginHooks;
}
