import jpeg from 'jpeg-js';
import { io, type Socket } from 'socket.io-client';
import { onTestFinished } from 'vitest';
import { createTestHost, tempDir, type TestHost } from '@acgateway/testing';
import robocar, { type RobocarOptionsInput } from '@acgateway/plugin-robocar';

export interface Received {
  event: string;
  data: any;
  at: number;
}

export interface StreamClient {
  socket: Socket;
  events: Received[];
  of(event: string): any[];
  /** Resolves with the first event (after `after` events of that name) matching the predicate. */
  next(event: string, predicate?: (d: any) => boolean, timeoutMs?: number): Promise<any>;
  close(): void;
}

/** A socket.io client of the robocar stream recording every event it gets; closed when the test ends. */
export async function connectClient(url: string, transports: Array<'websocket' | 'polling'> = ['websocket']): Promise<StreamClient> {
  const u = new URL(url);
  const socket = io(u.origin, { path: u.pathname, transports, forceNew: true, reconnection: false, timeout: 5000 });
  const events: Received[] = [];
  const waiters = new Set<() => void>();
  socket.onAny((event: string, data: unknown) => {
    events.push({ event, data, at: Date.now() });
    for (const w of waiters) w();
  });
  onTestFinished(() => void socket.close());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  return {
    socket,
    events,
    of: (event) => events.filter((e) => e.event === event).map((e) => e.data),
    next: (event, predicate = () => true, timeoutMs = 5000) => {
      const from = events.length;
      return new Promise((resolve, reject) => {
        const check = () => {
          for (let i = from; i < events.length; i++) {
            const e = events[i]!;
            if (e.event === event && predicate(e.data)) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(e.data);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no "${event}" event matching within ${timeoutMs} ms (${events.length} events received)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => socket.close(),
  };
}

export interface Robocar {
  t: TestHost;
  url: string;
}

/** A test host running the plugin with its stream on an ephemeral port; stopped when the test ends. */
export async function startRobocar(options: RobocarOptionsInput = {}, configDir?: string): Promise<Robocar> {
  const t = await createTestHost({ plugins: [robocar({ port: 0, ...options })], configDir });
  onTestFinished(() => t.stop());
  const url = t.urls.endpoints['robocar/stream']![0]!;
  return { t, url };
}

export type CameraSettings = NonNullable<RobocarOptionsInput['camera']>;

/** The plugin with this camera and the stream at 20 Hz. */
export const startCamera = (camera: CameraSettings): Promise<Robocar> => startRobocar({ publishRate: 20, camera });

/** Reconnect delays short enough for a test to see several reconnects. */
export const FAST_RETRY = { retryMs: 50, retryMaxMs: 200 } as const;

/** A fresh temp folder, removed when the test ends (after what was started in it has stopped). */
export async function tempFolder(): Promise<string> {
  const t = await tempDir('acgw-robocar-');
  onTestFinished(() => t.remove());
  return t.dir;
}

/** A real JPEG of the given size whose colour depends on `seed` (noise makes it larger). */
export function makeJpeg(width: number, height: number, seed = 0, noise = 0): Buffer {
  const data = Buffer.alloc(width * height * 4);
  let r = seed * 7919 + 1;
  for (let i = 0; i < width * height; i++) {
    r = (r * 1103515245 + 12345) & 0x7fffffff;
    const n = noise ? (r % noise) - noise / 2 : 0;
    data[i * 4] = (seed * 40 + n) & 0xff;
    data[i * 4 + 1] = ((i % width) + n) & 0xff;
    data[i * 4 + 2] = ((i / width) * 2 + n) & 0xff;
    data[i * 4 + 3] = 0xff;
  }
  return jpeg.encode({ data, width, height }, 80).data;
}

/** Bad input of one kind counted by the plugin (`acgateway_bad_input_total`). */
export const badInput = (t: TestHost, kind: string) => t.metric('acgateway_bad_input_total', { plugin: 'robocar', kind });
