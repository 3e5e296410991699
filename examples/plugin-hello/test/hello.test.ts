import { afterEach, describe, expect, it } from 'vitest';
import { createTestHost, type TestHost } from '@acgateway/testing';
import hello, { type HelloTick } from '../src/index.js';

let t: TestHost | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe('acgateway-plugin-hello', () => {
  it('publishes ticks with its options', async () => {
    t = await createTestHost({ plugins: [hello({ name: 'Monza', rateHz: 50, port: 0 })] });
    const second = await t.waitFor<HelloTick>('hello/tick', (m) => m.data.count === 2);
    expect(second.data).toEqual({ greeting: 'hello, Monza', count: 2 });
  });

  it('serves the last tick over HTTP', async () => {
    t = await createTestHost({ plugins: [hello({ rateHz: 50, port: 0 })] });
    await t.waitFor('hello/tick');
    const body = (await (await fetch(t.urls.endpoints['hello/http']![0]!)).json()) as HelloTick;
    expect(body.greeting).toBe('hello, world');
    expect(body.count).toBeGreaterThan(0);
  });

  it('answers its verb and refuses bad arguments', async () => {
    t = await createTestHost({ plugins: [hello({ port: 0 })] });
    expect(await t.dispatch('hello greet "Lewis H"')).toEqual({ greeting: 'hello, Lewis H' });
    expect((await t.waitFor('hello/greeted')).data).toEqual({ greeting: 'hello, Lewis H' });
    await expect(t.dispatch('hello greet')).rejects.toThrow(/missing <who>/);
    await expect(t.dispatch(`hello greet ${'x'.repeat(65)}`)).rejects.toThrow(/at most 64/);
  });

  it('refuses invalid options with the key path', async () => {
    await expect(createTestHost({ plugins: [hello({ rateHz: -1 })] })).rejects.toThrow(/plugin "hello": invalid options: hello\.rateHz/);
  });
});
