import { errorMessage, PluginError } from './errors.js';

/** One thing that went wrong in a start or a stop: whose, at which step, what. */
export interface LifecycleProblem {
  plugin: string;
  step: string;
  message: string;
}

interface AnyTap {
  name: string;
  type: string;
  fn: (...args: unknown[]) => unknown;
}

/**
 * Runs every tap of a lifecycle hook, in the plugins' order (or its reverse, for a stop), each to
 * its end even when another throws (tapable's series hooks stop at the first error: a stop must
 * not). Returns what failed, naming plugin and hook.
 */
export async function runEveryTap(hook: { taps: readonly AnyTap[] }, hookName: string, pluginOrder: readonly string[], reverse: boolean): Promise<LifecycleProblem[]> {
  const rank = (name: string) => {
    const i = pluginOrder.indexOf(name);
    return i < 0 ? pluginOrder.length : i;
  };
  const taps = [...hook.taps].sort((a, b) => (reverse ? rank(b.name) - rank(a.name) : rank(a.name) - rank(b.name)));
  const problems: LifecycleProblem[] = [];
  for (const tap of taps) {
    try {
      if (tap.type === 'async') {
        await new Promise<void>((resolve, reject) => tap.fn((err?: unknown) => (err ? reject(err) : resolve())));
      } else {
        await tap.fn();
      }
    } catch (err) {
      problems.push({ plugin: tap.name, step: `hook ${hookName}`, message: err instanceof PluginError ? errorMessage(err.cause ?? err) : errorMessage(err) });
    }
  }
  return problems;
}

/** What `withTimeout` rejects with. */
export class TimeoutError extends Error {}

/** The work, or a TimeoutError naming what did not finish within `ms`. The work itself is not cancelled. */
export async function withTimeout<T>(work: () => T | Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(work), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One line per problem, for the log and the error of a failed start. */
export function formatProblems(problems: readonly LifecycleProblem[]): string {
  return problems.map((p) => `plugin "${p.plugin}", ${p.step}: ${p.message}`).join('; ');
}
