import dgram from 'node:dgram';
import { createTestHost, until, type TestHost } from '@acgateway/testing';
import { acudp, type AcUdpClient, type AcspEvent, type EventName, type EventOf } from '@acgateway/plugin-acudp';
import { FakeAcServer } from '@acgateway/plugin-acudp/fake';

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

/** Waits until the fake server has received `n` commands in total. */
export function commandsReceived(server: FakeAcServer, n: number): Promise<boolean> {
  return until(`${n} commands at the fake server`, () => server.stats.commands + server.stats.badCommands >= n);
}

/** A UDP socket bound to an ephemeral loopback port: left alone, a server that never answers. */
export async function loopbackUdp(): Promise<{ socket: dgram.Socket; port: number }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { socket, port: socket.address().port };
}

/** The status of the plugin's source (listen port, counters, replay progress). */
export function sourceStatus(t: TestHost): Record<string, unknown> {
  const p = t.host.describe().find((d) => d.name === 'acudp')!;
  return p.sources[0]!.status as Record<string, unknown>;
}

/** Whether the replay source says it played everything. */
export const replayDone = (t: TestHost): boolean => t.host.bus.last<{ done: boolean }>('acudp/replay')?.data.done ?? false;

/**
 * A host running the plugin next to a started fake server, every port ephemeral. The fake learns
 * the plugin's port once the host has bound it.
 */
export async function hostWithFake(
  pluginOptions: Parameters<typeof acudp>[0] = {},
  serverOptions: ConstructorParameters<typeof FakeAcServer>[0] = {},
): Promise<{ t: TestHost; fake: FakeAcServer }> {
  const fake = new FakeAcServer(serverOptions);
  await fake.listen();
  let t: TestHost;
  try {
    t = await createTestHost({ plugins: [acudp({ listenPort: 0, serverPort: fake.commandPort, ...pluginOptions })] });
  } catch (err) {
    await fake.stop();
    throw err;
  }
  fake.setPluginAddress(sourceStatus(t).listenPort as number);
  await fake.start();
  return { t, fake };
}
