import type { AcUdpClient, AcspEvent, EventName, EventOf, FakeAcServer } from '@acgateway/plugin-acudp';

/** Resolves with the next event of a type matching the predicate (or rejects after `ms`). */
export function nextEvent<N extends EventName>(client: AcUdpClient, name: N, pred: (e: EventOf<N>) => boolean = () => true, ms = 5000): Promise<EventOf<N>> {
  return new Promise((resolve, reject) => {
    const on = (e: AcspEvent) => {
      if (e.type === name && pred(e as EventOf<N>)) {
        clearTimeout(t);
        client.off('event', on);
        resolve(e as EventOf<N>);
      }
    };
    const t = setTimeout(() => {
      client.off('event', on);
      reject(new Error(`no ${name} event within ${ms} ms`));
    }, ms);
    client.on('event', on);
  });
}

/** Polls until the condition holds (or fails after `ms`). */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the fake server has received `n` commands in total. */
export function commandsReceived(server: FakeAcServer, n: number): Promise<void> {
  return until(() => server.stats.commands + server.stats.badCommands >= n, 5000, `${n} commands at the fake server`);
}
