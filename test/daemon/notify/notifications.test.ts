// Notifications end to end but for the wire: the live feed in, fake channels out (the wire is tested in
// channels.test.ts and in the browser test with a real SMTP server). One notice per raise and per clear,
// never per state; nothing repeated after a restart; a failed send waits in SQLite and goes out with
// what came after it; the rate limit per recipient; the daily heartbeat.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../daemon/clock.js';
import { notifySchema } from '../../../daemon/config/notify-schema.js';
import { silentLogger } from '../../../daemon/log.js';
import type { Channel, Outgoing } from '../../../daemon/notify/channels.js';
import { Notifications } from '../../../daemon/notify/notifications.js';
import type { NotifyRecipient } from '../../../daemon/config/notify-schema.js';
import type { TankEventPayload, TankStatePayload } from '../../../daemon/telemetry/topics.js';
import { LiveFeed } from '../../../daemon/web/live-feed.js';
import { tempDir } from '../../helpers/daemon.js';

class FakeChannel implements Channel {
  sent: { to: NotifyRecipient; out: Outgoing }[] = [];
  failing = false;
  async send(to: NotifyRecipient, out: Outgoing): Promise<void> {
    if (this.failing) throw new Error('connection refused');
    this.sent.push({ to, out });
  }
}

const state = (alarms: string[], time = '2026-06-01T10:00:00.000Z') =>
  ({
    tank: 'house',
    time,
    alarms,
    levelPct: 50,
    litres: 1000,
    status: 'Water is ready to use',
  }) as unknown as TankStatePayload;
const raise = (alarm: string, severity = 'alarm') =>
  ({
    tank: 'house',
    time: 't',
    timeSynced: true,
    type: 'alarm',
    alarm,
    active: true,
    severity,
    message: `${alarm} happened`,
  }) as TankEventPayload;

function setup(file = join(tempDir('notify-'), 'notify.db'), patch: Record<string, unknown> = {}) {
  const clock = new ManualClock(0, Date.UTC(2026, 5, 1, 10), true);
  const feed = new LiveFeed(64, 'b');
  const hook = new FakeChannel();
  const notify = notifySchema.parse({
    recipients: [{ name: 'phone', webhook: { url: 'http://127.0.0.1:9/h' } }],
    perRecipientPerHour: 3,
    retry: { initialS: 30, maxS: 600 },
    ...patch,
  });
  const n = new Notifications({
    notify,
    gateway: { id: 'gw', name: 'Farm', timezone: 'UTC' },
    tanks: [{ id: 'house', name: 'House tank' }],
    feed,
    users: { record: () => ({}) },
    clock,
    file,
    log: silentLogger,
    channels: { webhook: hook },
  });
  const items = () => hook.sent.flatMap((s) => s.out.items);
  return { n, feed, hook, clock, file, items };
}

describe('notifications', () => {
  it('one message when an alarm is raised, one when it clears, none while it stands', async () => {
    const { n, feed, hook, items } = setup();
    await n.start();
    feed.publishEvent(raise('leak'));
    feed.publishState(state(['leak']));
    await n.runOnce();
    for (let i = 0; i < 20; i++) feed.publishState(state(['leak']));
    await n.runOnce();
    feed.publishState(state([]));
    await n.runOnce();
    expect(items()).toMatchObject([
      { tank: 'house', alarm: 'leak', active: true, severity: 'alarm', message: 'leak happened' },
      { tank: 'house', alarm: 'leak', active: false },
    ]);
    expect(hook.sent[0]!.out.message.subject).toBe('House tank: Possible leak');
    expect(hook.sent[1]!.out.message.subject).toBe('House tank: cleared: Possible leak');
    await n.stop();
  });

  it("an alarm seen without its event (restored at a restart) is told with its kind's own severity", async () => {
    const { n, feed, items } = setup();
    await n.start();
    feed.publishState(state(['dry-run', 'sensor-noisy']));
    await n.runOnce();
    expect(items()).toMatchObject([
      { alarm: 'dry-run', active: true, severity: 'alarm' },
      { alarm: 'sensor-noisy', active: true, severity: 'warning' },
    ]);
    await n.stop();
  });

  it('a restart repeats nothing that was told, and tells a clear that happened while it was down', async () => {
    const first = setup();
    await first.n.start();
    first.feed.publishEvent(raise('leak'));
    first.feed.publishState(state(['leak', 'dry-run']));
    await first.n.runOnce();
    await first.n.stop();
    const second = setup(first.file);
    await second.n.start();
    second.feed.publishState(state(['leak']));
    await second.n.runOnce();
    expect(second.items()).toMatchObject([{ alarm: 'dry-run', active: false }]);
    await second.n.stop();
  });

  it('a failed send waits (in SQLite, across a restart) and goes out with what came after, in one message', async () => {
    const { n, feed, hook, clock, file } = setup();
    await n.start();
    hook.failing = true;
    feed.publishEvent(raise('leak'));
    feed.publishState(state(['leak']));
    await n.runOnce();
    expect(n.counters()).toEqual({ queued: 1, sent: 0, failed: 1 });
    clock.advance(10_000);
    await n.runOnce(); // still in backoff: no new attempt
    expect(n.counters().failed).toBe(1);
    await n.stop();

    const again = setup(file);
    await again.n.start();
    again.hook.failing = false;
    again.feed.publishEvent(raise('dry-run'));
    again.feed.publishState(state(['leak', 'dry-run']));
    await again.n.runOnce();
    expect(again.hook.sent).toHaveLength(1);
    expect(again.items().map((i) => ('alarm' in i ? i.alarm : i.kind))).toEqual(['leak', 'dry-run']);
    expect(again.hook.sent[0]!.out.message.subject).toBe('Farm: 2 notices');
    expect(again.n.counters().queued).toBe(0);
    await again.n.stop();
  });

  it('at most perRecipientPerHour messages; what waits goes out together when the hour allows', async () => {
    const { n, feed, hook, clock, items } = setup();
    await n.start();
    const kinds = ['leak', 'dry-run', 'no-rise', 'high-high', 'level-critical'];
    for (let i = 0; i < kinds.length; i++) {
      feed.publishEvent(raise(kinds[i]!));
      feed.publishState(state(kinds.slice(0, i + 1)));
      await n.runOnce();
      clock.advance(60_000);
    }
    expect(hook.sent).toHaveLength(3);
    clock.advance(3_600_000);
    await n.runOnce();
    expect(hook.sent).toHaveLength(4);
    expect(items().map((i) => ('alarm' in i ? i.alarm : ''))).toEqual(kinds);
    await n.stop();
  });

  it('below the least severity nothing is sent (but the alarm counts as told)', async () => {
    const { n, feed, hook } = setup(undefined, { minSeverity: 'alarm' });
    await n.start();
    feed.publishEvent(raise('sensor-noisy', 'warning'));
    feed.publishState(state(['sensor-noisy']));
    await n.runOnce();
    expect(hook.sent).toHaveLength(0);
    await n.stop();
  });

  it('a daily heartbeat after its time, once a day, with every tank; not on the first day past its time', async () => {
    const { n, feed, hook, clock } = setup(undefined, { heartbeat: { at: '07:00' } });
    clock.setWall(Date.UTC(2026, 5, 1, 6, 0));
    await n.start();
    feed.publishState(state([]));
    clock.setWall(Date.UTC(2026, 5, 1, 7, 1));
    await n.runOnce();
    expect(hook.sent.map((s) => s.out.message.subject)).toEqual(['Farm: all well']);
    expect(hook.sent[0]!.out.message.text).toContain('- House tank: 50% (1000 L), Water is ready to use');
    clock.setWall(Date.UTC(2026, 5, 1, 20, 0));
    await n.runOnce();
    expect(hook.sent).toHaveLength(1);
    clock.setWall(Date.UTC(2026, 5, 2, 7, 5));
    await n.runOnce();
    expect(hook.sent).toHaveLength(2);
    await n.stop();

    const late = setup(undefined, { heartbeat: { at: '07:00' } });
    late.clock.setWall(Date.UTC(2026, 5, 1, 12, 0));
    await late.n.start();
    await late.n.runOnce();
    expect(late.hook.sent).toHaveLength(0);
    await late.n.stop();
  });
});
