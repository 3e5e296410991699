import { describe, expect, it, vi } from 'vitest';
import jpeg from 'jpeg-js';
import { API_VERSION, definePlugin } from '@acgateway/core';
import { createTestHost, sleep, until } from '@acgateway/testing';
import robocar, { TestPatternCamera, type CameraSink } from '@acgateway/plugin-robocar';

/** Lets `n` event-loop turns pass (the warm-up encodes one tile per turn). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

function sink(): CameraSink & { frames: Buffer[] } {
  const frames: Buffer[] = [];
  return { frames, jpeg: (d) => (frames.push(d), true), down: () => {}, problem: () => {}, logger: { info() {}, warn() {}, error() {}, debug() {} } as never };
}

/** A small test pattern started behind a gate that `release` opens. */
function startGated() {
  let release = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const cam = new TestPatternCamera({ width: 64, height: 32, fps: 50, startAfter: () => gate });
  const s = sink();
  cam.start(s);
  return { cam, s, release };
}

describe('test pattern start-up', () => {
  it('encodes nothing and sends no frame until startAfter settles, then runs', async () => {
    const encode = vi.spyOn(jpeg, 'encode');
    try {
      const { cam, s, release } = startGated();
      await turns(30);
      expect(encode).not.toHaveBeenCalled();
      expect(s.frames).toHaveLength(0);
      release();
      await until('two frames', () => s.frames.length >= 2);
      expect(encode).toHaveBeenCalledTimes(1); // the first tile; the others come from its tables
      expect(s.frames[0]!.subarray(0, 2).toString('hex')).toBe('ffd8');
      cam.stop();
    } finally {
      encode.mockRestore();
    }
  });

  it('a stop before startAfter settles leaves nothing running: no encode, no frame afterwards', async () => {
    const encode = vi.spyOn(jpeg, 'encode');
    try {
      const { cam, s, release } = startGated();
      cam.stop();
      release();
      await turns(30);
      await sleep(100); // five frame periods at 50 fps
      expect(encode).not.toHaveBeenCalled();
      expect(s.frames).toHaveLength(0);
    } finally {
      encode.mockRestore();
    }
  });

  it('in a host, the camera encodes only once the host runs: endpoints starting after it are not held up', async () => {
    const encode = vi.spyOn(jpeg, 'encode');
    let encodesWhileStarting = -1;
    // Listed after robocar, its endpoint starts after the camera: it lets 30 event-loop turns pass,
    // in which a warm-up started with the camera would have encoded its first tile.
    const probe = definePlugin({
      name: 'probe',
      apiVersion: API_VERSION,
      apply(api) {
        api.addEndpoint({
          name: 'slow',
          kind: 'probe',
          start: async () => {
            await turns(30);
            encodesWhileStarting = encode.mock.calls.length;
          },
          stop: () => {},
          urls: () => [],
        });
      },
    });
    try {
      const t = await createTestHost({ plugins: [robocar({ port: 0, camera: { source: 'test-pattern', width: 64, height: 32, fps: 50 } }), probe()] });
      try {
        expect(encodesWhileStarting).toBe(0);
        await t.waitFor('robocar/frame');
        expect(encode).toHaveBeenCalledTimes(1);
        // Stopped and started again (the tiles are encoded by now), frames flow again.
        await t.host.stop();
        const before = t.published('robocar/frame').length;
        await t.host.start();
        await until('a frame after the restart', () => t.published('robocar/frame').length > before);
      } finally {
        await t.stop();
      }
    } finally {
      encode.mockRestore();
    }
  });
});
