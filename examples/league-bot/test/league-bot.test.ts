import { afterEach, describe, expect, it } from 'vitest';
import { createTestHost, until, type TestHost } from '@acgateway/testing';
import { acudp } from '@acgateway/plugin-acudp';
import { FakeAcServer } from '@acgateway/plugin-acudp/fake';
import leagueBot, { formatLapTime } from '../src/index.js';

let t: TestHost | undefined;
let fake: FakeAcServer | undefined;
afterEach(async () => {
  await t?.stop();
  await fake?.stop();
  t = undefined;
  fake = undefined;
});

describe('league-bot: a third-party plugin on acudp\'s client', () => {
  it('sends each driver their lap time and position in the chat, received by the (fake) AC server', async () => {
    fake = new FakeAcServer({ cars: 3, drivers: 3, lapMs: 400, loadDelayMs: 10, chatEveryMs: 0, collisionEveryMs: 0 });
    await fake.listen();
    // Listed before acudp: the host applies acudp first because the bot depends on its client.
    t = await createTestHost({ plugins: [leagueBot(), acudp({ listenPort: 0, serverPort: fake.commandPort })] });
    const acudpPort = (t.host.describe().find((p) => p.name === 'acudp')!.sources[0]!.status as { listenPort: number }).listenPort;
    fake.setPluginAddress(acudpPort);
    await fake.start();
    const lap = await t.waitFor<{ carId: number; lapTimeMs: number; cuts: number; leaderboard: Array<{ carId: number }> }>('acudp/lap_completed', undefined, 10_000);
    const { carId, lapTimeMs, cuts, leaderboard } = lap.data;
    const position = leaderboard.findIndex((e) => e.carId === carId) + 1;
    await until('the chat line at the server', () => fake!.chatToDrivers.find((c) => c.carId === carId), 5000);
    const line = fake.chatToDrivers.find((c) => c.carId === carId)!.message;
    expect(line.startsWith(`Lap ${formatLapTime(lapTimeMs)}, P${position}`)).toBe(true);
    if (cuts > 0) expect(line).toMatch(/\(invalid: \d+ cuts?\)$/);
    expect(await t.metric('league_bot_chats_total')).toBeGreaterThan(0);
    expect(t.host.describe().map((p) => p.name)).toEqual(['core', 'acudp', 'league-bot']);
  });

  it('is refused without acudp, with a message that says what to add', async () => {
    await expect(createTestHost({ plugins: [leagueBot()] })).rejects.toThrow(/plugin "league-bot" needs service "acudp\.client", which no listed plugin provides: add the plugin "acudp"/);
  });

  it('formats lap times as m:ss.mmm', () => {
    expect(formatLapTime(91_234)).toBe('1:31.234');
    expect(formatLapTime(59_999)).toBe('0:59.999');
    expect(formatLapTime(600_005)).toBe('10:00.005');
  });
});
