// The gateway's MQTT session against a real broker (Aedes, in process, on an ephemeral loopback port).

import { createServer, type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { Aedes } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../daemon/log.js';
import { MqttLink, type InboundMessage } from '../../../daemon/telemetry/mqtt-link.js';

const require = createRequire(import.meta.url);
/** A real broker answers on loopback in milliseconds; generous for a loaded CI machine. */
const BROKER_DEADLINE_MS = 15_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(): Promise<string> {
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    await new Promise<void>((r) => aedes.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });
  return `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('MqttLink', () => {
  it('says online, carries messages both ways, and leaves mqtt-packet without its 8 MB write cache', async () => {
    const link = new MqttLink({
      url: await broker(),
      clientId: 'link-test',
      statusTopic: 'test/status',
      protocolVersion: 4,
      log: silentLogger,
    });
    cleanups.push(() => link.stop());
    const got: InboundMessage[] = [];
    const received = new Promise<void>((resolve) =>
      link.subscribe('test/#', (m) => {
        got.push(m);
        if (m.topic === 'test/level') resolve();
      }),
    );
    const connected = new Promise<void>((r) => link.onConnect(r));
    await link.start();
    await withDeadline(connected, 'connected');
    await link.publish('test/level', '42');
    await withDeadline(received, 'message back');
    expect(got.find((m) => m.topic === 'test/level')?.payload.toString()).toBe('42');
    const mqttPacket = require('mqtt-packet') as { writeToStream: { cacheNumbers: boolean } };
    expect(mqttPacket.writeToStream.cacheNumbers).toBe(false);
  });
});

function withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`not ${what} within ${BROKER_DEADLINE_MS} ms`)),
      BROKER_DEADLINE_MS,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
