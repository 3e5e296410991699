/**
 * Calls `tick` `hz` times a second on a steady schedule: each delay is measured to the next
 * deadline, so work time does not slow the rate (the original slept a fixed period after its work).
 * When the process falls behind by more than a period, missed ticks are skipped, never bursted.
 */
export function startTicker(hz: number, tick: () => void, now: () => number = () => performance.now()): () => void {
  const period = 1000 / hz;
  let next = now() + period;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const run = () => {
    if (stopped) return;
    try {
      tick();
    } finally {
      const t = now();
      next += period;
      if (next < t) next = t + period;
      if (!stopped) timer = setTimeout(run, next - t);
    }
  };
  timer = setTimeout(run, period);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
